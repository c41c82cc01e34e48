// The Calendar v3 client for a connection: root URL from config (default
// https://www.googleapis.com/), the OAuth access token as a bearer header (the hub refreshes
// it), gaxios retries off (Temporal retries), cancellation from the run. googleCall turns
// gaxios failures (Google's `{ error: { code, message, errors: [{ reason }] } }`) into the SDK's
// typed errors.
import type { calendar_v3 } from '@googleapis/calendar';
import { AuthError, errorForResponse, headersRecord, lazyImport, parseRetryAfter, RateLimitError, TransientError, type OAuth2Credentials, type PluginError } from '@patchbay/sdk';

export const GOOGLE_API = 'https://www.googleapis.com/';

const googleCalendar = lazyImport(() => import('@googleapis/calendar'));

export interface CalendarConnection {
  credentials: OAuth2Credentials;
  config: { baseUrl?: string } & Record<string, unknown>;
  signal?: AbortSignal;
}

export async function createCalendarClient({ credentials, config, signal }: CalendarConnection): Promise<calendar_v3.Calendar> {
  if (!credentials?.accessToken) throw new AuthError('The Google connection has no access token; reconnect it');
  const rootUrl = (config.baseUrl ?? GOOGLE_API).replace(/\/*$/, '/');
  const { calendar } = await googleCalendar();
  return calendar({
    version: 'v3',
    rootUrl,
    headers: { Authorization: `Bearer ${credentials.accessToken}` },
    retry: false,
    retryConfig: { retry: 0 },
    timeout: 30_000,
    ...(signal ? { signal } : {}),
  });
}

/** Google's rate-limit reasons (403 or 429): retried later rather than failed. */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

interface GaxiosFailure {
  status?: number;
  code?: string | number;
  message?: string;
  response?: { status?: number; headers?: unknown; data?: unknown };
}

export async function googleCall<T>(call: () => Promise<{ data: T }>, what: string): Promise<T> {
  try {
    return (await call()).data;
  } catch (err) {
    throw googleError(err, what);
  }
}

export function googleError(err: unknown, what: string): PluginError | Error {
  if ((err as Error)?.name === 'AbortError') return err as Error;
  const failure = err as GaxiosFailure;
  const status = failure?.response?.status ?? (typeof failure?.status === 'number' ? failure.status : undefined);
  if (status === undefined) return new TransientError(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
  const headers = headersRecord(failure.response?.headers);
  const body = (failure.response?.data ?? {}) as { error?: { message?: string; errors?: Array<{ reason?: string }> } | string; error_description?: string };
  const apiError = typeof body.error === 'object' ? body.error : undefined;
  const reasons = (apiError?.errors ?? []).map((e) => e.reason).filter((r): r is string => typeof r === 'string');
  const message = `${apiError?.message ?? (typeof body.error === 'string' ? body.error : failure.message ?? '')}${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
  if ((status === 403 || status === 429) && (status === 429 || reasons.some((r) => RATE_LIMIT_REASONS.has(r)))) {
    return new RateLimitError(`${what} answered ${status}: ${message}`, parseRetryAfter(headers['retry-after']), { status, reasons });
  }
  if (status === 401) return new AuthError(`${what} answered 401: ${message}`, { status });
  return errorForResponse({ status, headers }, what, { message });
}
