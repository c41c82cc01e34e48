// An IMAP session with the connection's mailbox account (imapflow), and imapflow's failures as
// the SDK's typed errors. Sessions are short: connect, do one thing, log out.
import { lazyImport, PermanentError, TransientError } from '@patchbay/sdk';
import type { ImapFlow } from 'imapflow';
import type { ImapSettings } from './config.ts';

const imapflow = lazyImport(() => import('imapflow'));

export interface MailboxCredentials {
  username: string;
  password: string;
}

/** Connects and logs in, runs `work`, and always logs out (or drops the socket on failure). */
export async function withImap<T>(settings: ImapSettings, credentials: MailboxCredentials, signal: AbortSignal, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  signal.throwIfAborted();
  const { ImapFlow } = await imapflow();
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    auth: { user: credentials.username, pass: credentials.password },
    tls: { rejectUnauthorized: settings.rejectUnauthorized },
    // imapflow's default logger writes every command to stdout; the hub has its own logs.
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    clientInfo: { name: 'Patchbay' },
  });
  // Without a listener a late socket error would be an uncaught 'error' event.
  client.on('error', () => {});
  const onAbort = () => client.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    const result = await work(client);
    await client.logout().catch(() => client.close());
    return result;
  } catch (err) {
    client.close();
    if (signal.aborted) throw signal.reason ?? err;
    throw imapError(err, settings);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

interface ImapFailure extends Error {
  code?: string;
  authenticationFailed?: boolean;
  responseStatus?: string;
  responseText?: string;
  serverResponseCode?: string;
}

export function imapError(err: unknown, settings: Pick<ImapSettings, 'host' | 'port'>): unknown {
  if (!(err instanceof Error) || err.name === 'PluginError' || 'kind' in err) return err;
  const e = err as ImapFailure;
  const where = `IMAP ${settings.host}:${settings.port}`;
  const text = e.responseText ?? e.message;
  if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
    return new PermanentError(`${where} rejected the username or password (${text}); check the connection's credentials`, { code: e.code });
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/i.test(`${e.code ?? ''} ${e.message}`)) {
    return new PermanentError(`${where}: TLS failed: ${e.message} (for a self-signed certificate set rejectUnauthorized: false)`, { code: e.code });
  }
  if (e.serverResponseCode === 'NONEXISTENT' || (e.code === 'NotFound')) {
    return new PermanentError(`${where}: ${text}`, { code: e.code });
  }
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') {
    // A refused command: permanent unless the server says it is temporary.
    return /UNAVAILABLE|INUSE|LIMIT|OVERQUOTA|try again/i.test(`${e.serverResponseCode ?? ''} ${text}`)
      ? new TransientError(`${where}: ${text}`, { code: e.code })
      : new PermanentError(`${where}: ${text}`, { code: e.code });
  }
  return new TransientError(`${where} failed: ${e.message}`, { code: e.code });
}
