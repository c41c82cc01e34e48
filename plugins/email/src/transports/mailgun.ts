// Mailgun's Messages API through mailgun.js (multipart/form-data, HTTP basic `api:<key>`).
// mailgun.js does not retry; its errors carry the status and message but not the response
// headers, so a 429 from Mailgun is retried on the hub's backoff rather than Retry-After.
import { lazyImport, PermanentError } from '@patchbay/sdk';
import type Mailgun from 'mailgun.js';
import type { ApiSettings } from '../config.ts';
import { apiFailure, networkFailure } from './http-errors.ts';
import { abortable, addressesOf, formatAddress, type OutgoingEmail, type SendResult, type Transport } from './transport.ts';

export const MAILGUN_BASE_URL = 'https://api.mailgun.net';
export const MAILGUN_EU_BASE_URL = 'https://api.eu.mailgun.net';

const REQUEST_TIMEOUT_MS = 30_000;

type MailgunMessage = Parameters<ReturnType<Mailgun['client']>['messages']['create']>[1];

const mailgun = lazyImport(() => import('mailgun.js'));

export function mailgunTransport(settings: ApiSettings, apiKey: string): Transport {
  const domain = settings.domain;
  if (!domain) throw new PermanentError('A Mailgun connection needs config.domain (the sending domain, e.g. mg.example.com)');
  const client = async () =>
    new (await mailgun()).default(FormData).client({
      username: 'api',
      key: apiKey,
      url: settings.baseUrl ?? (settings.region === 'eu' ? MAILGUN_EU_BASE_URL : MAILGUN_BASE_URL),
      timeout: REQUEST_TIMEOUT_MS,
    });

  return {
    provider: 'mailgun',
    async send(email: OutgoingEmail, signal: AbortSignal): Promise<SendResult> {
      const headers = Object.fromEntries(Object.entries(email.headers).map(([name, value]) => [`h:${name}`, value]));
      try {
        const result = await abortable(
          (await client()).messages.create(domain, {
            from: formatAddress(email.from),
            to: email.to.map(formatAddress),
            ...(email.cc.length ? { cc: email.cc.map(formatAddress) } : {}),
            ...(email.bcc.length ? { bcc: email.bcc.map(formatAddress) } : {}),
            ...(email.replyTo ? { 'h:Reply-To': formatAddress(email.replyTo) } : {}),
            subject: email.subject,
            ...(email.text !== undefined ? { text: email.text } : {}),
            ...(email.html !== undefined ? { html: email.html } : {}),
            ...headers,
            ...(email.attachments.length
              ? { attachment: email.attachments.map((a) => ({ data: new Blob([new Uint8Array(a.content)], { type: a.contentType }), filename: a.filename })) }
              : {}),
          } as MailgunMessage),
          signal,
        );
        return { provider: 'mailgun', messageId: result.id ?? '', accepted: addressesOf(email), rejected: [], response: result.message };
      } catch (err) {
        // A cancelled run reports its cancellation, not whatever the library made of it.
        if (signal.aborted) throw signal.reason ?? err;
        throw mailgunError(err);
      }
    },
    async verify(signal: AbortSignal) {
      try {
        const found = await abortable((await client()).domains.get(domain), signal);
        return { ok: true, message: `Mailgun accepted the API key for ${found.name ?? domain}${found.state && found.state !== 'active' ? ` (domain state: ${found.state})` : ''}` };
      } catch (err) {
        // A cancelled run reports its cancellation, not whatever the library made of it.
        if (signal.aborted) throw signal.reason ?? err;
        throw mailgunError(err);
      }
    },
  };
}

interface MailgunApiError extends Error {
  status?: number;
  details?: string;
  type?: string;
}

/**
 * mailgun.js reports an unanswered request as status 400 with the socket error code as its
 * message (ECONNREFUSED, ETIMEDOUT, ECONNABORTED…); that is a network failure, not a 400.
 */
export function mailgunError(err: unknown): unknown {
  if (!(err instanceof Error) || err.name === 'AbortError') return err;
  const e = err as MailgunApiError;
  if (e.type !== 'MailgunAPIError' || typeof e.status !== 'number') return new PermanentError(`Mailgun: ${e.message}`);
  if (e.status === 400 && /^E[A-Z_]+$/.test(e.message)) return networkFailure('mailgun', `${e.message}${e.details ? ` (${e.details})` : ''}`);
  const message = [e.details, e.message].filter((s, i, all) => s && all.indexOf(s) === i).join(' — ');
  return apiFailure('mailgun', e.status, {}, message);
}
