// How a user connects email:
//
// - BASIC: a mailbox account. The username and password are used for SMTP (sending) and, on the
//   same connection, for IMAP (the new_email trigger): providers give one login for both, and a
//   flow that reads and answers mail then needs one connection, not two. config carries the SMTP
//   server (`host`, `port`, `secure`, `requireTLS`) and the IMAP server (`imapHost`, `imapPort`,
//   `imapSecure`); either half may be left out. `rejectUnauthorized: false` allows self-signed
//   certificates on both.
// - API_KEY: an email API. config.provider is 'sendgrid' | 'mailgun' | 'postmark' (+ Mailgun's
//   `domain`, SendGrid/Mailgun `region`); the key goes on the wire through each provider's own
//   client library, which is also pointed at config.baseUrl when set.
import { apiKey, basic, type AuthTestContext, type TestResult } from '@patchbay/sdk';
import { apiConfigShape, apiSettings, imapSettings, mailboxConfigShape } from './config.ts';
import { withImap, type MailboxCredentials } from './imap.ts';
import { transportFor } from './transports/index.ts';

/** SMTP: `transporter.verify()` (connect, TLS, AUTH). IMAP: login + NOOP + logout. Both when both are set. */
export async function testMailbox({ credentials, config, signal }: AuthTestContext<MailboxCredentials>): Promise<TestResult> {
  const parts: string[] = [];
  if (typeof config.host === 'string' && config.host) {
    const result = await transportFor('BASIC', credentials, config).verify(signal);
    parts.push(result.message ?? 'SMTP ok');
  }
  if (typeof config.imapHost === 'string' && config.imapHost) {
    const settings = imapSettings(config);
    await withImap(settings, credentials, signal, (client) => client.noop());
    parts.push(`IMAP ${settings.host}:${settings.port} accepted the login`);
  }
  if (parts.length === 0) return { ok: false, message: 'Set config.host (SMTP, to send) and/or config.imapHost (IMAP, to read mail)' };
  return { ok: true, message: parts.join('; ') };
}

/** A cheap authenticated GET on the provider's API. */
export async function testApiKey({ credentials, config, signal }: AuthTestContext<{ apiKey: string }>): Promise<TestResult> {
  apiSettings(config);
  return transportFor('API_KEY', credentials, config).verify(signal);
}

export const mailboxAuth = basic({ config: mailboxConfigShape, test: testMailbox });

export const apiKeyAuth = apiKey({
  label: 'API key (SendGrid API key, Mailgun private API key, or Postmark server token)',
  // Each provider's client library puts the key on its requests (Bearer, basic `api:key`,
  // X-Postmark-Server-Token); nothing goes through the SDK's generic HTTP client.
  placement: { in: 'none' },
  config: apiConfigShape,
  test: testApiKey,
});
