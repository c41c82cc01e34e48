// Test support, not shipped (package.json excludes `fake-*.ts`): a REAL SMTP server (npm
// `smtp-server`, the server half of nodemailer's project) on a free loopback port that accepts
// and records every message, and a self-signed certificate made with the openssl CLI (node:crypto
// cannot make X.509 certificates). The hub's end-to-end email test reuses it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  /** The raw RFC 5322 message as the client sent it. */
  raw: string;
  from: string;
  recipients: string[];
  /** Who logged in, and how (PLAIN, LOGIN). */
  user?: string;
  authMethod?: string;
  /** Whether the session was encrypted (implicit TLS or STARTTLS). */
  secure: boolean;
}

export interface SmtpSinkOptions {
  /** Accepted logins (username → password). Default: none required, any accepted. */
  users?: Record<string, string>;
  /** AUTH mechanisms offered. Default PLAIN and LOGIN. */
  authMethods?: Array<'PLAIN' | 'LOGIN'>;
  /** TLS from the first byte, with `tls`. */
  secure?: boolean;
  /** Offer STARTTLS with `tls` (default false: plain only). */
  starttls?: boolean;
  tls?: { key: string; cert: string };
  /** Return an Error (with `responseCode`) to refuse a recipient. */
  onRecipient?: (address: string) => (Error & { responseCode?: number }) | undefined;
  /** Return an Error (with `responseCode`) to refuse the message after DATA. */
  onMessage?: (mail: ReceivedMail) => (Error & { responseCode?: number }) | undefined;
}

export interface SmtpSink {
  host: string;
  port: number;
  messages: ReceivedMail[];
  /** Every login attempt, successful or not. */
  logins: Array<{ user: string; password: string; method: string; ok: boolean }>;
  close(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const logins: SmtpSink['logins'] = [];
  const sessions = new Map<string, { user?: string; method?: string }>();
  const config: SMTPServerOptions = {
    secure: options.secure ?? false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    disabledCommands: options.starttls || options.secure ? [] : ['STARTTLS'],
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN'],
    authOptional: !options.users,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, session, callback) {
      const ok = !!options.users && options.users[auth.username ?? ''] === auth.password;
      logins.push({ user: auth.username ?? '', password: auth.password ?? '', method: auth.method, ok });
      if (!ok) return callback(new Error('Invalid username or password'));
      sessions.set(session.id, { user: auth.username, method: auth.method });
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      const refusal = options.onRecipient?.(address.address);
      callback(refusal ?? null);
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const login = sessions.get(session.id);
        const mail: ReceivedMail = {
          raw: Buffer.concat(chunks).toString('utf8'),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          recipients: session.envelope.rcptTo.map((r) => r.address),
          user: login?.user,
          authMethod: login?.method,
          secure: session.secure,
        };
        const refusal = options.onMessage?.(mail);
        if (refusal) return callback(refusal);
        messages.push(mail);
        callback();
      });
    },
  };
  const server = new SMTPServer(config);
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return { host: '127.0.0.1', port, messages, logins, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Whether the openssl CLI is here to make certificates. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway self-signed certificate for `localhost` / 127.0.0.1. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-cert-'));
  try {
    const keyPath = path.join(dir, 'key.pem');
    const certPath = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyPath, '-out', certPath],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The decoded body of the MIME part whose headers mention `filename="<name>"` (base64 parts). */
export function attachmentFrom(raw: string, filename: string): { headers: string; content: Buffer } | undefined {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const part of parts) {
    const [headers = '', ...body] = part.split(/\r?\n\r?\n/);
    if (!new RegExp(`filename=("?)${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\1`, 'i').test(headers)) continue;
    const text = body.join('\n\n').replace(/\r?\n--[^\r\n]*--\s*$/, '');
    if (/content-transfer-encoding:\s*base64/i.test(headers)) return { headers, content: Buffer.from(text.replace(/\s+/g, ''), 'base64') };
    return { headers, content: Buffer.from(text, 'utf8') };
  }
  return undefined;
}
