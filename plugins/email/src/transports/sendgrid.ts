// SendGrid's v3 Mail Send API through @sendgrid/mail. Each send gets its own MailService (and
// so its own client and key): the package's default export is a process-wide singleton.
import { headersRecord, lazyImport, PermanentError } from '@patchbay/sdk';
import type { MailService } from '@sendgrid/mail';
import type { ApiSettings } from '../config.ts';
import { apiFailure, networkFailure } from './http-errors.ts';
import { abortable, addressesOf, type Address, type OutgoingEmail, type SendResult, type Transport } from './transport.ts';

export const SENDGRID_BASE_URL = 'https://api.sendgrid.com';
export const SENDGRID_EU_BASE_URL = 'https://api.eu.sendgrid.com';

type SendGridClient = Parameters<MailService['setClient']>[0];

const REQUEST_TIMEOUT_MS = 30_000;

// The typings' `export =` hides the named MailService export the package has at run time.
const sendgrid = lazyImport(async () => (await import('@sendgrid/mail')) as unknown as { MailService: typeof MailService });

export function sendgridTransport(settings: ApiSettings, apiKey: string): Transport {
  const service = async () => {
    const mail = new (await sendgrid()).MailService();
    mail.setApiKey(apiKey);
    mail.setTimeout(REQUEST_TIMEOUT_MS);
    // The client is SendGrid's own, created by the MailService; setApiKey resets its base URL,
    // so the address (region default, or the connection's override) is set afterwards.
    const client = (mail as unknown as { client: SendGridClient }).client;
    client.setDefaultRequest('baseUrl', baseUrlFor(settings));
    return { mail, client };
  };

  return {
    provider: 'sendgrid',
    async send(email: OutgoingEmail, signal: AbortSignal): Promise<SendResult> {
      const { mail } = await service();
      const sgAddress = (a: Address) => (a.name ? { email: a.address, name: a.name } : { email: a.address });
      try {
        const [response] = await abortable(
          mail.send({
            from: sgAddress(email.from),
            to: email.to.map(sgAddress),
            cc: email.cc.length ? email.cc.map(sgAddress) : undefined,
            bcc: email.bcc.length ? email.bcc.map(sgAddress) : undefined,
            replyTo: email.replyTo ? sgAddress(email.replyTo) : undefined,
            subject: email.subject,
            // SendGrid wants text/plain before text/html; the helper orders them.
            ...(email.text !== undefined ? { text: email.text } : {}),
            ...(email.html !== undefined ? { html: email.html } : {}),
            headers: Object.keys(email.headers).length ? email.headers : undefined,
            attachments: email.attachments.length
              ? email.attachments.map((a) => ({ filename: a.filename, content: a.content.toString('base64'), type: a.contentType, disposition: 'attachment' }))
              : undefined,
          } as Parameters<typeof mail.send>[0]),
          signal,
        );
        const headers = headersRecord(response.headers);
        return { provider: 'sendgrid', messageId: headers['x-message-id'] ?? '', accepted: addressesOf(email), rejected: [], response: `${response.statusCode} Accepted` };
      } catch (err) {
        // A cancelled run reports its cancellation, not whatever the library made of it.
        if (signal.aborted) throw signal.reason ?? err;
        throw sendgridError(err);
      }
    },
    async verify(signal: AbortSignal) {
      const { client } = await service();
      try {
        // Any valid key may read its own scopes.
        const [response] = await abortable(client.request({ method: 'GET', url: '/v3/scopes' }), signal);
        const scopes = (response.body as { scopes?: string[] } | undefined)?.scopes ?? [];
        const canSend = scopes.length === 0 || scopes.includes('mail.send');
        return canSend
          ? { ok: true, message: 'SendGrid accepted the API key' }
          : { ok: false, message: 'SendGrid accepted the API key, but it lacks the mail.send permission' };
      } catch (err) {
        // A cancelled run reports its cancellation, not whatever the library made of it.
        if (signal.aborted) throw signal.reason ?? err;
        throw sendgridError(err);
      }
    },
  };
}

export function baseUrlFor(settings: ApiSettings): string {
  return settings.baseUrl ?? (settings.region === 'eu' ? SENDGRID_EU_BASE_URL : SENDGRID_BASE_URL);
}

interface SendGridResponseError extends Error {
  code?: number | string;
  response?: { headers?: unknown; body?: unknown };
}

/** SendGrid's `{ errors: [{ message, field, help }] }` answers as typed errors. */
export function sendgridError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === 'AbortError') return err;
  const e = err as SendGridResponseError;
  if (typeof e.code === 'number' && e.response) {
    const body = e.response.body as { errors?: Array<{ message?: string; field?: string | null }> } | string | undefined;
    const message =
      typeof body === 'object' && Array.isArray(body?.errors)
        ? body.errors.map((x) => (x.field ? `${x.message} (${x.field})` : x.message)).filter(Boolean).join('; ')
        : typeof body === 'string'
          ? body
          : e.message;
    const headers = headersRecord(e.response.headers);
    // SendGrid's rate limit answer says when the window resets (epoch seconds), not Retry-After.
    if (e.code === 429 && !headers['retry-after'] && /^\d+$/.test(headers['x-ratelimit-reset'] ?? '')) {
      headers['retry-after'] = String(Math.max(0, Number(headers['x-ratelimit-reset']) - Math.floor(Date.now() / 1000)));
    }
    return apiFailure('sendgrid', e.code, headers, message ?? '');
  }
  if (typeof e.code === 'string') return networkFailure('sendgrid', `${e.code} ${e.message}`.trim());
  // The helper's own checks on the message (before anything is sent).
  return new PermanentError(`SendGrid: ${e.message}`);
}
