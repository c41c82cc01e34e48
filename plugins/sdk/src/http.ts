// The HTTP client every plugin gets: base URL from the connection (so regional clouds, proxies
// and local fake servers work unchanged), credentials applied, a timeout, cancellation, and
// provider failures turned into the SDK's typed errors.
import { AuthError, PermanentError, RateLimitError, TransientError } from './errors.ts';
import type { RequestAuth } from './auth.ts';

export type QueryValue = string | number | boolean | null | undefined;

export interface HttpRequest {
  method?: string;
  /** Absolute, or relative to the client's base URL. */
  url: string;
  query?: Record<string, QueryValue | QueryValue[]>;
  headers?: Record<string, string>;
  /** Sent as JSON (content-type set). */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as is (set content-type yourself). */
  body?: string | Uint8Array;
  timeoutMs?: number;
  /** 'auto' (default) parses JSON when the response says it is JSON. */
  responseType?: 'auto' | 'json' | 'text';
  /** false returns non-2xx responses instead of throwing typed errors. */
  throwOnError?: boolean;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  data: T;
  text: string;
  url: string;
}

export interface HttpClient {
  request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>>;
  get<T = unknown>(url: string, req?: Omit<HttpRequest, 'url' | 'method'>): Promise<HttpResponse<T>>;
  post<T = unknown>(url: string, req?: Omit<HttpRequest, 'url' | 'method'>): Promise<HttpResponse<T>>;
}

export interface HttpClientOptions {
  baseUrl?: string;
  auth?: RequestAuth;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Called before each request; the host uses it to refuse private addresses (SSRF guard). */
  beforeRequest?: (url: URL) => void | Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_ERROR_BODY = 500;

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const doFetch = options.fetch ?? fetch;

  async function request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const url = resolveUrl(req.url, options.baseUrl);
    for (const [key, value] of Object.entries({ ...options.auth?.query, ...req.query })) {
      for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined && v !== null) url.searchParams.append(key, String(v));
    }
    await options.beforeRequest?.(url);
    // set() per source, so a later source replaces a header whatever its spelling (the
    // credentials always win) instead of being joined to it.
    const headers = new Headers();
    for (const source of [options.headers, req.headers, options.auth?.headers]) {
      for (const [name, value] of Object.entries(source ?? {})) headers.set(name, value);
    }
    let body: BodyInit | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    } else if (req.form) {
      body = new URLSearchParams(req.form);
    } else if (req.body !== undefined) {
      body = req.body as BodyInit;
    }
    if (!headers.has('accept')) headers.set('accept', 'application/json, text/plain;q=0.9, */*;q=0.8');

    const timeout = AbortSignal.timeout(req.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await doFetch(url, { method: req.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal, redirect: 'follow' });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason ?? err;
      if (timeout.aborted) throw new TransientError(`${req.method ?? 'GET'} ${url.origin}${url.pathname} timed out`);
      throw new TransientError(`${req.method ?? 'GET'} ${url.origin}${url.pathname} failed: ${(err as Error).cause ?? (err as Error).message}`);
    }
    const text = await res.text();
    const responseHeaders = Object.fromEntries(res.headers.entries());
    const wantsJson = req.responseType === 'json' || (req.responseType !== 'text' && /\bjson\b/i.test(res.headers.get('content-type') ?? ''));
    let data: unknown = text;
    if (wantsJson && text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch {
        if (req.responseType === 'json') throw new PermanentError(`Expected JSON from ${url.origin}${url.pathname}, got: ${text.slice(0, 200)}`);
      }
    }
    const response = { status: res.status, headers: responseHeaders, data: data as T, text, url: url.toString() };
    if (!res.ok && req.throwOnError !== false) throw errorForResponse(response, `${req.method ?? 'GET'} ${url.origin}${url.pathname}`);
    return response;
  }

  return {
    request,
    get: (url, req) => request({ ...req, url, method: 'GET' }),
    post: (url, req) => request({ ...req, url, method: 'POST' }),
  };
}

function resolveUrl(url: string, baseUrl?: string): URL {
  if (/^https?:\/\//i.test(url)) return new URL(url);
  if (!baseUrl) throw new PermanentError(`Relative URL "${url}" needs a baseUrl on the connection or plugin`);
  return new URL(url.replace(/^\//, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
}

export interface ErrorForResponseOptions {
  /**
   * The provider's message, when the caller has already read it from the body (vendor SDKs
   * parse error bodies themselves); it replaces the message errorForResponse would pull from `text`.
   */
  message?: string;
  /** More facts for the error's details (a provider error code, say), beside `status`. */
  details?: Record<string, unknown>;
}

/**
 * The typed error for a failed provider response: 401 → AuthError (refresh and retry),
 * 429 → RateLimitError (honours Retry-After), other 4xx → PermanentError with the provider's
 * message, 408/5xx → TransientError (RateLimitError when Retry-After says when). Usable by
 * plugins built on vendor SDKs too. `headers` must have lower-cased names (see headersRecord).
 */
export function errorForResponse(res: Pick<HttpResponse, 'status' | 'headers'> & { text?: string }, what = 'request', options: ErrorForResponseOptions = {}) {
  const detail = options.message !== undefined ? options.message.slice(0, MAX_ERROR_BODY) : providerMessage(res.text ?? '');
  const message = `${what} answered ${res.status}${detail ? `: ${detail}` : ''}`;
  const details = { status: res.status, ...options.details };
  if (res.status === 401) return new AuthError(message, details);
  if (res.status === 429) return new RateLimitError(message, parseRetryAfter(res.headers['retry-after']), details);
  if (res.status === 408 || res.status >= 500) {
    const retryAfter = parseRetryAfter(res.headers['retry-after']);
    return retryAfter !== undefined ? new RateLimitError(message, retryAfter, details) : new TransientError(message, details);
  }
  return new PermanentError(message, details);
}

/**
 * Response headers as errorForResponse reads them, from whatever a vendor library hands over: a
 * fetch `Headers`, AxiosHeaders, or a plain object with names in any case and values that may be
 * numbers or lists (Node). Names are lower-cased, lists joined, absent values left out.
 */
export function headersRecord(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers || typeof headers !== 'object') return out;
  let source: Array<[string, unknown]>;
  if (typeof (headers as { toJSON?: unknown }).toJSON === 'function') source = Object.entries((headers as { toJSON(): Record<string, unknown> }).toJSON()); // AxiosHeaders
  // By shape rather than instanceof: libraries bring their own fetch (gaxios' Headers are not Node's).
  else if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    source = [];
    (headers as Headers).forEach((value, name) => source.push([name, value]));
  } else source = Object.entries(headers as Record<string, unknown>);
  for (const [name, value] of source) {
    if (value !== undefined && value !== null) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** Retry-After as milliseconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function providerMessage(text: string): string {
  if (!text) return '';
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const candidate = body.message ?? body.error_description ?? (body.error as { message?: unknown })?.message ?? body.error ?? body.detail ?? body.title;
    if (typeof candidate === 'string') return candidate.slice(0, MAX_ERROR_BODY);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, MAX_ERROR_BODY);
}
