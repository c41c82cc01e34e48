// Builds the Slack WebClient for one run and turns Slack's failures into the SDK's typed errors.
// Retries belong to the hub (Temporal), so the client never retries or waits out a rate limit.
import {
  AuthError,
  errorForResponse,
  headersRecord,
  isPluginError,
  lazyImport,
  PermanentError,
  RateLimitError,
  TransientError,
  type ActionContext,
  type ActionLogger,
} from '@patchbay/sdk';
import type { FetchFunction, LogLevel, LogLevel as LogLevelEnum, Logger, WebClient } from '@slack/web-api';

const slackSdk = lazyImport(() => import('@slack/web-api'));

/** Slack's Web API address; a connection's `config.baseUrl` replaces it. */
export const SLACK_API_URL = 'https://slack.com/api/';

const REQUEST_TIMEOUT_MS = 30_000;

/** What a Slack client needs from a run (an action, a trigger or a connection test). */
export interface SlackClientContext {
  credentials: unknown;
  config: Record<string, unknown> & { baseUrl?: string };
  signal: AbortSignal;
  logger?: ActionLogger;
}

/** The token of an OAuth2 (`accessToken`) or bot-token (`botToken`) connection. */
export function slackToken(credentials: unknown): string {
  const c = (credentials ?? {}) as { accessToken?: unknown; botToken?: unknown };
  const token = typeof c.accessToken === 'string' && c.accessToken ? c.accessToken : c.botToken;
  if (typeof token !== 'string' || !token) throw new AuthError('The Slack connection has no token; connect it again');
  return token;
}

export async function createSlackClient({ credentials, config, signal, logger }: SlackClientContext): Promise<WebClient> {
  const { WebClient, LogLevel } = await slackSdk();
  // Every call carries the run's cancellation and a timeout of its own.
  const fetchWithSignal: FetchFunction = (url, init) =>
    fetch(url, { ...init, signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...(init?.signal ? [init.signal] : [])]) } as RequestInit);
  return new WebClient(slackToken(credentials), {
    slackApiUrl: typeof config.baseUrl === 'string' && config.baseUrl ? config.baseUrl : SLACK_API_URL,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    allowAbsoluteUrls: false,
    fetch: fetchWithSignal,
    logger: slackLogger(LogLevel, logger),
  });
}

/** The client for an action or trigger context. */
export function slackClientFor(ctx: Pick<ActionContext, 'auth' | 'config' | 'signal' | 'logger'>): Promise<WebClient> {
  return createSlackClient({ credentials: ctx.auth.credentials, config: ctx.config, signal: ctx.signal, logger: ctx.logger });
}

/** Error codes meaning the token itself is no good (the hub refreshes or marks the connection expired). */
const AUTH_ERRORS = new Set(['not_authed', 'invalid_auth', 'token_expired', 'token_revoked', 'account_inactive', 'no_such_token', 'not_allowed_token_type']);
/** Error codes for a passing fault on Slack's side. */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * Slack answers HTTP 200 with `{ ok: false, error }` for most failures; the WebClient raises
 * them as WebAPIPlatformError. HTTP 429 comes as WebAPIRateLimitedError (retryAfter in
 * seconds), other HTTP statuses as WebAPIHTTPError, network failures as WebAPIRequestError.
 */
export function slackError(err: unknown, method: string, signal?: AbortSignal): unknown {
  if (isPluginError(err)) return err;
  if (signal?.aborted) return signal.reason ?? err;
  const what = `Slack ${method}`;
  const sdk = slackSdk.loaded();
  if (sdk && err instanceof sdk.WebAPIPlatformError) {
    const code = err.data.error;
    const data = err.data as { needed?: string; provided?: string; response_metadata?: { retryAfter?: number; messages?: string[] } };
    const details = { slackError: code };
    if (AUTH_ERRORS.has(code)) return new AuthError(`${what} failed: ${code}`, details);
    if (code === 'ratelimited') {
      const seconds = data.response_metadata?.retryAfter;
      return new RateLimitError(`${what} failed: ratelimited`, seconds !== undefined ? seconds * 1000 : undefined, details);
    }
    if (TRANSIENT_ERRORS.has(code)) return new TransientError(`${what} failed: ${code}`, details);
    if (code === 'missing_scope') {
      return new PermanentError(`${what} failed: missing_scope (needs ${data.needed ?? 'another scope'}; the token has ${data.provided ?? 'none'}); add the scope and reinstall the app`, details);
    }
    const messages = data.response_metadata?.messages?.length ? ` (${data.response_metadata.messages.join('; ')})` : '';
    return new PermanentError(`${what} failed: ${code}${messages}`, details);
  }
  if (sdk && err instanceof sdk.WebAPIRateLimitedError) {
    return new RateLimitError(`${what} was rate limited; retry after ${err.retryAfter} s`, err.retryAfter * 1000, { status: 429 });
  }
  if (sdk && err instanceof sdk.WebAPIHTTPError) {
    const text = typeof err.body === 'string' ? err.body : err.body === undefined ? '' : JSON.stringify(err.body);
    return errorForResponse({ status: err.statusCode, headers: headersRecord(err.headers), text }, what);
  }
  if (sdk && err instanceof sdk.WebAPIRequestError) {
    const original = err.original;
    if (original.name === 'TimeoutError' || original.name === 'AbortError') return new TransientError(`${what} timed out`);
    return new TransientError(`${what} failed: ${(original as Error & { cause?: unknown }).cause ?? original.message}`);
  }
  // A 429 without a usable Retry-After: still a rate limit, with no hint of how long.
  if (err instanceof Error && /Retry header did not contain a valid timeout/.test(err.message)) {
    return new RateLimitError(`${what} was rate limited (no Retry-After)`, undefined, { status: 429 });
  }
  return err;
}

/** Runs one Slack call, throwing the SDK's typed error when it fails. */
export async function callSlack<T>(method: string, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw slackError(err, method, signal);
  }
}

/** The WebClient's own logging goes to the run's logger (which blanks secrets); debug lines are dropped. */
function slackLogger(LogLevel: typeof LogLevelEnum, logger?: ActionLogger): Logger {
  let level: LogLevel = LogLevel.INFO;
  const rank = { [LogLevel.DEBUG]: 0, [LogLevel.INFO]: 1, [LogLevel.WARN]: 2, [LogLevel.ERROR]: 3 };
  const emit = (at: LogLevel, write: ((msg: string) => void) | undefined) => (...msg: unknown[]) => {
    if (write && at !== LogLevel.DEBUG && rank[at] >= rank[level]) write(`slack: ${msg.map(String).join(' ')}`);
  };
  return {
    debug: emit(LogLevel.DEBUG, undefined),
    info: emit(LogLevel.INFO, logger && ((m) => logger.info(m))),
    warn: emit(LogLevel.WARN, logger && ((m) => logger.warn(m))),
    error: emit(LogLevel.ERROR, logger && ((m) => logger.error(m))),
    setLevel: (next) => void (level = next),
    getLevel: () => level,
    setName: () => {},
  };
}
