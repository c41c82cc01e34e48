// The connection decides the transport: BASIC → SMTP with its username and password,
// API_KEY → the email API named by config.provider.
import { PermanentError, type AuthMode } from '@patchbay/sdk';
import { apiSettings, smtpSettings } from '../config.ts';
import { mailgunTransport } from './mailgun.ts';
import { postmarkTransport } from './postmark.ts';
import { sendgridTransport } from './sendgrid.ts';
import { smtpTransport } from './smtp.ts';
import type { Transport } from './transport.ts';

export type { Address, OutgoingAttachment, OutgoingEmail, ProviderKey, SendResult, Transport } from './transport.ts';

export function transportFor(mode: AuthMode, credentials: unknown, config: Record<string, unknown>): Transport {
  const secrets = (credentials ?? {}) as Record<string, unknown>;
  if (mode === 'BASIC') {
    return smtpTransport(smtpSettings(config), { username: String(secrets.username ?? ''), password: String(secrets.password ?? '') });
  }
  if (mode === 'API_KEY') {
    const settings = apiSettings(config);
    const key = String(secrets.apiKey ?? '');
    if (settings.provider === 'sendgrid') return sendgridTransport(settings, key);
    if (settings.provider === 'mailgun') return mailgunTransport(settings, key);
    return postmarkTransport(settings, key);
  }
  throw new PermanentError(`Email connections use BASIC (SMTP/IMAP) or API_KEY (SendGrid, Mailgun, Postmark), not ${mode}`);
}
