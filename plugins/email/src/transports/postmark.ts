// Postmark's Email API through the `postmark` client (X-Postmark-Server-Token). The client
// takes a fetch implementation: ours adds the run's cancellation and keeps the last response's
// headers, so a 429 honours Retry-After. The client does not retry.
import { headersRecord, lazyImport, PermanentError } from '@patchbay/sdk';
import type { ApiSettings } from '../config.ts';
import { apiFailure, networkFailure } from './http-errors.ts';
import { addressesOf, formatAddress, type OutgoingEmail, type SendResult, type Transport } from './transport.ts';

export const POSTMARK_BASE_URL = 'https://api.postmarkapp.com';

const REQUEST_TIMEOUT_SECONDS = 30;

const postmark = lazyImport(() => import('postmark'));

export function postmarkTransport(settings: ApiSettings, serverToken: string): Transport {
  const client = async (signal: AbortSignal) => {
    const { ServerClient } = await postmark();
    const state: { headers: Record<string, string> } = { headers: {} };
    const base = new URL(settings.baseUrl ?? POSTMARK_BASE_URL);
    const fetchWithRunSignal = async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
      state.headers = headersRecord(res.headers);
      return res;
    };
    const server = new ServerClient(serverToken, {
      useHttps: base.protocol === 'https:',
      requestHost: `${base.host}${base.pathname.replace(/\/+$/, '')}`,
      timeout: REQUEST_TIMEOUT_SECONDS,
      fetch: fetchWithRunSignal,
    });
    return { server, state };
  };

  return {
    provider: 'postmark',
    async send(email: OutgoingEmail, signal: AbortSignal): Promise<SendResult> {
      const { server, state } = await client(signal);
      const list = (addresses: typeof email.to) => (addresses.length ? addresses.map(formatAddress).join(', ') : undefined);
      try {
        const result = await server.sendEmail({
          From: formatAddress(email.from),
          To: list(email.to),
          Cc: list(email.cc),
          Bcc: list(email.bcc),
          ReplyTo: email.replyTo ? formatAddress(email.replyTo) : undefined,
          Subject: email.subject,
          TextBody: email.text,
          HtmlBody: email.html,
          Headers: Object.entries(email.headers).map(([Name, Value]) => ({ Name, Value })),
          Attachments: email.attachments.map((a) => ({ Name: a.filename, Content: a.content.toString('base64'), ContentType: a.contentType, ContentID: null })),
        });
        return { provider: 'postmark', messageId: result.MessageID, accepted: addressesOf(email), rejected: [], response: result.Message };
      } catch (err) {
        throw postmarkError(err, state.headers, signal);
      }
    },
    async verify(signal: AbortSignal) {
      const { server, state } = await client(signal);
      try {
        const info = await server.getServer();
        return { ok: true, message: `Postmark accepted the server token (server "${info.Name}")` };
      } catch (err) {
        throw postmarkError(err, state.headers, signal);
      }
    },
  };
}

interface PostmarkFailure extends Error {
  code?: number;
  statusCode?: number;
}

/** Postmark's `{ ErrorCode, Message }` answers (already unpacked by the client) as typed errors. */
export function postmarkError(err: unknown, headers: Record<string, string>, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason ?? err;
  if (!(err instanceof Error)) return err;
  const e = err as PostmarkFailure;
  if (typeof e.statusCode === 'number' && e.statusCode > 0) {
    return apiFailure('postmark', e.statusCode, headers, `${e.message}${e.code ? ` (ErrorCode ${e.code})` : ''}`);
  }
  if (e.name === 'PostmarkError' || e.constructor?.name === 'PostmarkError') return networkFailure('postmark', e.message);
  return new PermanentError(`Postmark: ${e.message}`);
}
