// SMTP through nodemailer: implicit TLS (secure), STARTTLS (opportunistic or required), an
// opt-out of certificate checks for self-signed servers, AUTH with the connection's username
// and password. One connection per send; nodemailer does not retry (the hub does).
import { lazyImport, PermanentError, TransientError, type PluginError } from '@patchbay/sdk';
import type { SmtpSettings } from '../config.ts';
import { abortable, formatAddress, type OutgoingEmail, type SendResult, type Transport } from './transport.ts';

const nodemailer = lazyImport(() => import('nodemailer'));

export interface SmtpCredentials {
  username: string;
  password: string;
}

/** Node/OpenSSL codes meaning the server's certificate was not trusted. */
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME/i;

export function smtpTransport(settings: SmtpSettings, credentials: SmtpCredentials): Transport {
  const create = async () =>
    (await nodemailer()).default.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      requireTLS: settings.requireTLS,
      tls: { rejectUnauthorized: settings.rejectUnauthorized },
      auth: { user: credentials.username, pass: credentials.password },
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      logger: false,
      debug: false,
      disableFileAccess: true,
      disableUrlAccess: true,
    });

  return {
    provider: 'smtp',
    async send(email: OutgoingEmail, signal: AbortSignal): Promise<SendResult> {
      const transporter = await create();
      try {
        const info = await abortable(
          transporter.sendMail({
            from: formatAddress(email.from),
            to: email.to.map(formatAddress),
            cc: email.cc.map(formatAddress),
            bcc: email.bcc.map(formatAddress),
            replyTo: email.replyTo ? formatAddress(email.replyTo) : undefined,
            subject: email.subject,
            text: email.text,
            html: email.html,
            headers: email.headers,
            attachments: email.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
          }),
          signal,
        );
        return {
          provider: 'smtp',
          messageId: info.messageId,
          accepted: (info.accepted ?? []).map(addressText),
          rejected: (info.rejected ?? []).map(addressText),
          response: info.response,
        };
      } catch (err) {
        // A cancelled run reports its cancellation, not whatever the library made of it.
        if (signal.aborted) throw signal.reason ?? err;
        throw smtpError(err, settings);
      } finally {
        transporter.close();
      }
    },
    async verify(signal: AbortSignal) {
      const transporter = await create();
      try {
        await abortable(transporter.verify(), signal);
        return { ok: true, message: `SMTP ${settings.host}:${settings.port} accepted the login` };
      } catch (err) {
        // A cancelled run reports its cancellation, not whatever the library made of it.
        if (signal.aborted) throw signal.reason ?? err;
        throw smtpError(err, settings);
      } finally {
        transporter.close();
      }
    },
  };
}

const addressText = (a: string | { address: string }) => (typeof a === 'string' ? a : a.address);

interface NodemailerFailure extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
  reason?: string;
}

/**
 * nodemailer's failures as the SDK's typed errors: a refused login or a 5xx reply is permanent
 * (a retry gets the same answer), an untrusted certificate too (it needs a config change), a 4xx
 * reply or a network fault is transient.
 */
export function smtpError(err: unknown, settings: Pick<SmtpSettings, 'host' | 'port'>): PluginError | unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR') return err;
  const e = err as NodemailerFailure;
  const where = `SMTP ${settings.host}:${settings.port}`;
  const reply = e.response ? e.response.trim() : e.message;
  const details = { code: e.code, responseCode: e.responseCode };
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.responseCode === 535 || e.responseCode === 534) {
    return new PermanentError(`${where} rejected the username or password (${reply}); check the connection's credentials`, details);
  }
  const tlsText = `${e.code ?? ''} ${e.reason ?? ''} ${e.message}`;
  if (e.code === 'ETLS' || CERTIFICATE_CODES.test(tlsText) && /certificate|cert|TLS|SSL/i.test(tlsText)) {
    const hint = /self[- ]signed|CERT|UNABLE_TO_VERIFY/i.test(tlsText) ? ' (for a self-signed certificate set rejectUnauthorized: false)' : '';
    return new PermanentError(`${where}: TLS failed: ${e.message}${hint}`, details);
  }
  if (typeof e.responseCode === 'number') {
    if (e.responseCode >= 500 && e.responseCode !== 503) return new PermanentError(`${where} refused the message: ${reply}`, details);
    return new TransientError(`${where} deferred the message: ${reply}`, details);
  }
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.code === 'ECONFIG') return new PermanentError(`${where}: ${e.message}`, details);
  return new TransientError(`${where} failed: ${e.message}`, details);
}
