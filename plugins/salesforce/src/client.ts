// Builds the jsforce Connection for one run: the connection's instance URL (config.baseUrl, kept
// from the token response's instance_url), its access token, and a transport on the runtime's
// fetch. The transport makes one attempt per call (Temporal owns retries), honours the run's
// cancellation and a timeout, and remembers the last response so a jsforce failure can be turned
// into the SDK's typed errors with the real status and headers (Retry-After).
//
// jsforce gets no refresh token and no OAuth2 client, so it can never refresh on its own: an
// expired session surfaces as AuthError and the hub refreshes, then Temporal retries.
import { PassThrough } from 'node:stream';
import { AuthError, errorForResponse, headersRecord, isPluginError, lazyImport, parseRetryAfter, PermanentError, RateLimitError, TransientError, type ActionContext, type ActionLogger } from '@patchbay/sdk';
// jsforce is pinned to 3.10.16: later 3.10 releases need Node 22 (undici 8) just to load.
import type { Connection, HttpRequest as JsforceHttpRequest, HttpResponse as JsforceHttpResponse } from 'jsforce';

export const DEFAULT_LOGIN_URL = 'https://login.salesforce.com';
export const DEFAULT_API_VERSION = '59.0';
const REQUEST_TIMEOUT_MS = 60_000;

export interface SalesforceClientOptions {
  accessToken: string;
  config: Record<string, unknown> & { baseUrl?: string };
  signal: AbortSignal;
  logger?: ActionLogger;
}

/** One error of Salesforce's REST error array. */
export interface SalesforceError {
  message: string;
  errorCode: string;
  fields?: string[];
}

const jsforce = lazyImport(() => import('jsforce'));

export class SalesforceClient {
  readonly conn: Connection;
  readonly instanceUrl: string;
  readonly version: string;
  private last: JsforceHttpResponse | undefined;

  static async create(options: SalesforceClientOptions): Promise<SalesforceClient> {
    const { Connection } = await jsforce();
    return new SalesforceClient(options, Connection);
  }

  private constructor(
    private readonly options: SalesforceClientOptions,
    ConnectionClass: typeof Connection,
  ) {
    const baseUrl = typeof options.config.baseUrl === 'string' ? options.config.baseUrl.trim() : '';
    if (!baseUrl) throw new PermanentError('This Salesforce connection has no instance URL (config.baseUrl): connect it again through OAuth, or set baseUrl to the instance URL');
    this.instanceUrl = baseUrl.replace(/\/+$/, '');
    this.version = apiVersionOf(options.config);
    // Deliberately no refreshToken / oauth2 / refreshFn: jsforce must not refresh by itself.
    this.conn = new ConnectionClass({ instanceUrl: this.instanceUrl, accessToken: options.accessToken, version: this.version });
    this.conn._transport = { httpRequest: (req: JsforceHttpRequest) => this.send(req) } as unknown as Connection['_transport'];
  }

  /** Runs jsforce calls; any failure comes out as a typed SDK error. */
  async call<T>(what: string, fn: (conn: Connection) => PromiseLike<T>): Promise<T> {
    try {
      return await fn(this.conn);
    } catch (err) {
      if (this.options.signal.aborted) throw this.options.signal.reason ?? err;
      throw toPluginError(err, this.last, what);
    } finally {
      const usage = this.conn.limitInfo?.apiUsage;
      if (usage) this.options.logger?.debug('salesforce api usage', { used: usage.used, limit: usage.limit });
    }
  }

  /** The transport jsforce's HttpApi calls: a promise of the response, with the stream() it expects. */
  private send(req: JsforceHttpRequest) {
    const promise = this.fetchOnce(req);
    return Object.assign(promise, { stream: () => new PassThrough() });
  }

  private async fetchOnce(req: JsforceHttpRequest): Promise<JsforceHttpResponse> {
    this.last = undefined;
    const { signal } = this.options;
    signal.throwIfAborted();
    const url = new URL(req.url);
    const what = `${req.method} ${url.origin}${url.pathname}`;
    if (req.body !== undefined && req.body !== null && typeof req.body !== 'string') throw new PermanentError(`${what}: only JSON bodies are supported`);
    const headers = new Headers();
    // fetch computes content-length itself and refuses a caller's.
    for (const [name, value] of Object.entries(req.headers ?? {})) if (name.toLowerCase() !== 'content-length') headers.set(name, value);
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(url, { method: req.method, headers, body: req.body ?? undefined, signal: AbortSignal.any([signal, timeout]), redirect: 'follow' });
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      if (timeout.aborted) throw new TransientError(`${what} timed out after ${REQUEST_TIMEOUT_MS / 1000} s`);
      throw new TransientError(`${what} failed: ${String((err as Error).cause ?? (err as Error).message)}`);
    }
    const response: JsforceHttpResponse = { statusCode: res.status, headers: headersRecord(res.headers), body: await res.text() };
    this.last = response;
    return response;
  }
}

/** The client for an action (OAuth2 access token from the hub, instance URL from config). */
export function salesforceClient(ctx: Pick<ActionContext, 'auth' | 'config' | 'signal' | 'logger'>): Promise<SalesforceClient> {
  const accessToken = (ctx.auth.credentials as { accessToken?: unknown } | undefined)?.accessToken;
  if (typeof accessToken !== 'string' || !accessToken) throw new PermanentError('This Salesforce connection has no access token: connect it again');
  return SalesforceClient.create({ accessToken, config: ctx.config, signal: ctx.signal, logger: ctx.logger });
}

export function apiVersionOf(config: Record<string, unknown>): string {
  const version = typeof config.apiVersion === 'string' ? config.apiVersion.replace(/^v/i, '') : '';
  return /^\d+\.\d$/.test(version) ? version : DEFAULT_API_VERSION;
}

/** Salesforce's error array (`[{ message, errorCode, fields }]`) from a response body, if it is one. */
export function salesforceErrors(body: string | undefined): SalesforceError[] {
  if (!body) return [];
  try {
    const parsed = JSON.parse(body) as unknown;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.filter((e): e is SalesforceError => !!e && typeof e === 'object' && typeof (e as SalesforceError).message === 'string' && typeof (e as SalesforceError).errorCode === 'string');
  } catch {
    return [];
  }
}

export function describeErrors(errors: SalesforceError[]): string {
  return errors.map((e) => `${e.errorCode}: ${e.message}${e.fields?.length ? ` (fields: ${e.fields.join(', ')})` : ''}`).join('; ');
}

/**
 * A jsforce failure as a typed error. The status decides the kind (SDK mapping); Salesforce's
 * own codes refine it: INVALID_SESSION_ID is an expired session whatever the status,
 * REQUEST_LIMIT_EXCEEDED (403) is a rate limit, APEX_ERROR (500) is permanent.
 */
export function toPluginError(err: unknown, last: JsforceHttpResponse | undefined, what: string): Error {
  if (isPluginError(err)) return err;
  const status = last && last.statusCode >= 400 ? last.statusCode : undefined;
  if (status === undefined) {
    // jsforce refused before or after the wire (bad arguments, a 2xx it could not read).
    return new PermanentError(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
  }
  const errors = salesforceErrors(last!.body);
  const codes = new Set(errors.map((e) => e.errorCode));
  const message = errors.length ? describeErrors(errors) : ((err as Error)?.message ?? '');
  const details = { status, errorCodes: [...codes], fields: errors.flatMap((e) => e.fields ?? []) };
  const text = `${what} answered ${status}${message ? `: ${message}` : ''}`;
  if (status === 401 || codes.has('INVALID_SESSION_ID')) return new AuthError(text, details);
  if (status === 429 || codes.has('REQUEST_LIMIT_EXCEEDED')) return new RateLimitError(text, parseRetryAfter(last!.headers['retry-after']), details);
  // An unhandled Apex exception (500 APEX_ERROR) is a bug in the org's code: retrying cannot help.
  if (codes.has('APEX_ERROR')) return new PermanentError(text, details);
  // Everything else follows the SDK's status mapping (5xx transient, other 4xx permanent).
  return errorForResponse({ status, headers: last!.headers }, what, { message });
}
