// The twilio-node client for a connection. twilio-node builds absolute *.twilio.com URLs; a
// RequestClient of our own (the library's documented `httpClient` option) re-homes them on the
// connection's baseUrl, so regional gateways, proxies and fake servers work unchanged. The
// library's own 429 retries stay off: Temporal retries. twilioCall turns its failures
// (RestException `{ code, message, more_info, status }`, axios network errors) into typed errors.
import { errorForResponse, headersRecord, lazyImport, TransientError, type PluginError } from '@patchbay/sdk';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

export const TWILIO_API = 'https://api.twilio.com';
const TIMEOUT_MS = 30_000;

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

// twilio-node is loaded on first use; the RequestClient subclass needs its base class, so it is made then too.
const twilioSdk = lazyImport(async () => {
  const { default: twilio } = await import('twilio');
  /** A RequestClient that sends every request to `baseUrl` instead of the Twilio host it names. */
  class BaseUrlRequestClient extends twilio.RequestClient {
    constructor(private readonly baseUrl: string) {
      super({ autoRetry: false, timeout: TIMEOUT_MS });
    }

    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      return super.request({ ...opts, uri: rehome(opts.uri, this.baseUrl) });
    }
  }
  return { twilio, BaseUrlRequestClient };
});

/** `https://api.twilio.com/2010-04-01/…?x` on `http://127.0.0.1:5000/prefix` → `http://127.0.0.1:5000/prefix/2010-04-01/…?x`. */
export function rehome(uri: string, baseUrl: string): string {
  const target = new URL(uri);
  const base = new URL(baseUrl);
  if (target.origin === base.origin && target.pathname.startsWith(base.pathname.replace(/\/+$/, '') || '/')) return uri;
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${target.pathname}${target.search}`;
}

export async function createTwilioClient(credentials: TwilioCredentials, config: { baseUrl?: string }) {
  const { twilio, BaseUrlRequestClient } = await twilioSdk();
  const httpClient = new BaseUrlRequestClient(config.baseUrl ?? TWILIO_API);
  const client = twilio(credentials.accountSid, credentials.authToken, { httpClient, autoRetry: false, accountSid: credentials.accountSid });
  return { client, httpClient };
}

interface TwilioFailure {
  status?: number;
  code?: number | string;
  message?: string;
  moreInfo?: string;
}

/** Runs one twilio-node call; failures come out as the SDK's typed errors. */
export async function twilioCall<T>(httpClient: RequestClient, call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw twilioError(err, what, (httpClient.lastResponse?.headers ?? {}) as Record<string, unknown>);
  }
}

export function twilioError(err: unknown, what: string, headers: Record<string, unknown> = {}): PluginError {
  const failure = err as TwilioFailure;
  if (typeof failure?.status !== 'number') return new TransientError(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
  const code = typeof failure.code === 'number' || typeof failure.code === 'string' ? failure.code : undefined;
  const message = code !== undefined ? `Twilio error ${code}: ${failure.message ?? ''}${failure.moreInfo ? ` (${failure.moreInfo})` : ''}` : (failure.message ?? '');
  return errorForResponse({ status: failure.status, headers: headersRecord(headers) }, what, { message, details: { twilioCode: code } });
}
