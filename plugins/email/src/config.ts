// The connection settings (non-secret) for both ways of connecting, and their parsed forms
// with defaults applied. The hub validates config against these schemas when a connection is
// created, but a poll receives the stored config as is, so every reader parses it again here.
import { PermanentError, z } from '@patchbay/sdk';

const port = z.coerce.number().int().min(1).max(65535);

/** BASIC connections: one mailbox account, SMTP for sending and (optionally) IMAP for reading. */
export const mailboxConfigShape = z.object({
  host: z.string().trim().min(1).optional().describe('SMTP server host name, e.g. smtp.example.com. Needed to send mail'),
  port: port.optional().describe('SMTP port; default 465 when secure, else 587'),
  secure: z.boolean().optional().describe('true: TLS from the first byte (port 465). false: plain, upgraded with STARTTLS when offered. Default: port 465'),
  requireTLS: z.boolean().optional().describe('Fail unless the server upgrades with STARTTLS (with secure: false)'),
  rejectUnauthorized: z.boolean().optional().describe('Check the server certificate (default true). false allows self-signed certificates, for SMTP and IMAP'),
  imapHost: z.string().trim().min(1).optional().describe('IMAP server host name, e.g. imap.example.com. Needed by the new_email trigger'),
  imapPort: port.optional().describe('IMAP port; default 993 when imapSecure, else 143'),
  imapSecure: z.boolean().optional().describe('IMAP over TLS from the first byte (port 993). Default: true unless imapPort is 143'),
});

export type Provider = 'sendgrid' | 'mailgun' | 'postmark';

/** API_KEY connections: an email API provider. */
export const apiConfigShape = z.object({
  provider: z.enum(['sendgrid', 'mailgun', 'postmark']).describe('Which email API the key belongs to'),
  domain: z.string().trim().min(1).optional().describe('Mailgun: the sending domain, e.g. mg.example.com (required for Mailgun)'),
  region: z.enum(['us', 'eu']).optional().describe('SendGrid and Mailgun: "eu" for an EU-region account (default "us")'),
});

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  rejectUnauthorized: boolean;
}

export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  rejectUnauthorized: boolean;
}

export interface ApiSettings {
  provider: Provider;
  domain?: string;
  region: 'us' | 'eu';
  baseUrl?: string;
}

function parsed<T extends z.ZodType>(schema: T, config: unknown): z.output<T> {
  const result = schema.safeParse(config ?? {});
  if (!result.success) {
    throw new PermanentError(`The connection's config is invalid: ${result.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

export function smtpSettings(config: unknown): SmtpSettings {
  const c = parsed(mailboxConfigShape.loose(), config);
  if (!c.host) throw new PermanentError('This connection has no SMTP server: set config.host (and port) to send mail');
  const secure = c.secure ?? c.port === 465;
  return { host: c.host, port: c.port ?? (secure ? 465 : 587), secure, requireTLS: c.requireTLS ?? false, rejectUnauthorized: c.rejectUnauthorized ?? true };
}

export function imapSettings(config: unknown): ImapSettings {
  const c = parsed(mailboxConfigShape.loose(), config);
  if (!c.imapHost) throw new PermanentError('This connection has no IMAP server: set config.imapHost (and imapPort) to read mail');
  const secure = c.imapSecure ?? c.imapPort !== 143;
  return { host: c.imapHost, port: c.imapPort ?? (secure ? 993 : 143), secure, rejectUnauthorized: c.rejectUnauthorized ?? true };
}

export function apiSettings(config: unknown): ApiSettings {
  const c = parsed(apiConfigShape.extend({ baseUrl: z.url().optional() }).loose(), config);
  if (c.provider === 'mailgun' && !c.domain) throw new PermanentError('A Mailgun connection needs config.domain (the sending domain, e.g. mg.example.com)');
  return { provider: c.provider, domain: c.domain, region: c.region ?? 'us', baseUrl: c.baseUrl };
}
