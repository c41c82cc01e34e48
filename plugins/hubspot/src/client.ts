// Builds the @hubspot/api-client Client for one run: the connection's base URL (HubSpot EU:
// https://api-eu1.hubapi.com, a proxy, a test server), its token as a Bearer (private-app token
// or OAuth access token), and no SDK retries or rate limiter: Temporal owns retries. A
// middleware remembers the last response, so even an error body the SDK cannot parse keeps
// its status and headers for the typed error.
import { Client } from '@hubspot/api-client';
import { AuthError, errorForResponse, headersRecord, isPluginError, parseRetryAfter, PermanentError, RateLimitError, TransientError, type ActionContext } from '@patchbay/sdk';

export const DEFAULT_BASE_URL = 'https://api.hubapi.com';

interface LastResponse {
  status: number;
  headers: Record<string, string>;
}

export interface HubSpotContext {
  auth: ActionContext['auth'];
  config: ActionContext['config'];
  signal: AbortSignal;
}

export function baseUrlOf(config: Record<string, unknown>): string {
  const value = typeof config.baseUrl === 'string' && config.baseUrl.trim() ? config.baseUrl.trim() : DEFAULT_BASE_URL;
  return value.replace(/\/+$/, '');
}

/** The token of either auth mode: a private-app token (API_KEY) or an OAuth access token. */
export function tokenOf(auth: HubSpotContext['auth']): string {
  const credentials = (auth.credentials ?? {}) as { apiKey?: unknown; accessToken?: unknown };
  const token = auth.mode === 'API_KEY' ? credentials.apiKey : credentials.accessToken;
  if (typeof token !== 'string' || !token) throw new PermanentError('This HubSpot connection has no token: connect it again');
  return token;
}

export class HubSpotClient {
  readonly client: Client;
  private last: LastResponse | undefined;

  constructor(private readonly ctx: HubSpotContext) {
    const { signal } = ctx;
    this.client = new Client({
      accessToken: tokenOf(ctx.auth),
      basePath: baseUrlOf(ctx.config),
      numberOfApiCallRetries: 0,
      middleware: [
        {
          pre: (request) => {
            signal.throwIfAborted();
            this.last = undefined;
            return request;
          },
          post: (response) => {
            const { httpStatusCode, headers } = response as { httpStatusCode: number; headers: Record<string, string> };
            this.last = { status: httpStatusCode, headers };
            return response;
          },
        },
      ],
    });
  }

  /** Runs SDK calls; a failure comes out as a typed error, and cancellation ends the wait at once. */
  async call<T>(what: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const { signal } = this.ctx;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(this.client), aborted]);
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      throw toPluginError(err, this.last, what);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }
}

export function hubspotClient(ctx: HubSpotContext): HubSpotClient {
  return new HubSpotClient(ctx);
}

/** HubSpot's error body: { status: 'error', message, category, correlationId, errors?: [{ message }] }. */
interface HubSpotErrorBody {
  message?: unknown;
  category?: unknown;
  correlationId?: unknown;
  errors?: Array<{ message?: unknown }>;
}

function bodyOf(body: unknown): HubSpotErrorBody {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as HubSpotErrorBody;
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  return body && typeof body === 'object' ? (body as HubSpotErrorBody) : {};
}

/** "message [CATEGORY] (correlationId …)", the parts HubSpot support asks for. */
export function describeHubSpotError(raw: unknown): string {
  const body = bodyOf(raw);
  const details = (body.errors ?? []).map((e) => e.message).filter((m): m is string => typeof m === 'string');
  const message = typeof body.message === 'string' ? body.message : details.join('; ');
  const category = typeof body.category === 'string' ? ` [${body.category}]` : '';
  const correlation = typeof body.correlationId === 'string' ? ` (correlationId ${body.correlationId})` : '';
  return `${message}${category}${correlation}`.trim();
}

/**
 * A @hubspot/api-client failure as a typed error: 401 → AuthError, 429 → RateLimitError (Retry-After,
 * else one rate-limit window from X-HubSpot-RateLimit-Interval-Milliseconds), others by the SDK's
 * status mapping with HubSpot's message, category and correlationId.
 */
export function toPluginError(err: unknown, last: LastResponse | undefined, what: string): Error {
  if (isPluginError(err)) return err;
  const apiError = err as { code?: unknown; body?: unknown; headers?: unknown };
  const fromSdk = typeof apiError?.code === 'number' && apiError.code >= 400 && 'body' in (apiError as object);
  const status = fromSdk ? (apiError.code as number) : last && last.status >= 400 ? last.status : undefined;
  if (status === undefined) {
    if (err instanceof TypeError) return new TransientError(`${what} failed: ${String((err as Error).cause ?? err.message)}`);
    return new PermanentError(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
  }
  const headers = headersRecord(fromSdk ? apiError.headers : last?.headers);
  const message = fromSdk ? describeHubSpotError(apiError.body) : '';
  const text = `${what} answered ${status}${message ? `: ${message}` : ''}`;
  const details = { status };
  if (status === 401) return new AuthError(text, details);
  if (status === 429) {
    const window = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
    return new RateLimitError(text, parseRetryAfter(headers['retry-after']) ?? (Number.isFinite(window) && window > 0 ? window : undefined), details);
  }
  return errorForResponse({ status, headers }, what, { message });
}

/** The shape actions return for a CRM object. */
export function crmObject(object: { id: string; properties: Record<string, string | null>; createdAt: Date | string; updatedAt: Date | string; archived?: boolean }) {
  return {
    id: object.id,
    properties: object.properties,
    createdAt: new Date(object.createdAt).toISOString(),
    updatedAt: new Date(object.updatedAt).toISOString(),
    archived: object.archived ?? false,
  };
}
