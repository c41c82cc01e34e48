// Builds the @discordjs/rest client for one run and turns Discord's failures into the SDK's typed
// errors. Retries belong to the hub (Temporal): no retries, and a 429 is thrown, not waited out.
import type { REST, ResponseLike } from '@discordjs/rest';
import { AuthError, errorForResponse, isPluginError, lazyImport, RateLimitError, TransientError, type ActionContext } from '@patchbay/sdk';

const discordRest = lazyImport(() => import('@discordjs/rest'));

/** Discord's API address (the client adds /v10); a connection's `config.baseUrl` replaces it. */
export const DISCORD_API_URL = 'https://discord.com/api';

const REQUEST_TIMEOUT_MS = 30_000;

export interface DiscordClientContext {
  credentials: unknown;
  config: Record<string, unknown> & { baseUrl?: string };
  signal: AbortSignal;
}

/** A REST client plus what it saw of the last 429 (Discord puts the precise wait in the body). */
export interface DiscordClient {
  rest: REST;
  signal: AbortSignal;
  lastRateLimit?: { retryAfterMs?: number; global?: boolean; message?: string };
}

export function botTokenOf(credentials: unknown): string {
  const token = (credentials as { botToken?: unknown } | undefined)?.botToken;
  if (typeof token !== 'string' || !token) throw new AuthError('The Discord connection has no bot token; connect it again');
  return token;
}

export async function createDiscordClient({ credentials, config, signal }: DiscordClientContext): Promise<DiscordClient> {
  const { REST } = await discordRest();
  const client: DiscordClient = { signal } as DiscordClient;
  const api = typeof config.baseUrl === 'string' && config.baseUrl ? config.baseUrl.replace(/\/+$/, '') : DISCORD_API_URL;
  client.rest = new REST({
    version: '10',
    api,
    authPrefix: 'Bot',
    retries: 0,
    rejectOnRateLimit: () => true,
    offset: 0,
    timeout: REQUEST_TIMEOUT_MS,
    // One client per run: no background sweepers.
    hashSweepInterval: 0,
    handlerSweepInterval: 0,
    makeRequest: async (url, init) => {
      const res = await fetch(url, { ...(init as RequestInit), signal: AbortSignal.any([signal, ...(init.signal ? [init.signal as AbortSignal] : [])]) });
      if (res.status === 429) client.lastRateLimit = await rateLimitBody(res.clone());
      return res as unknown as ResponseLike;
    },
  }).setToken(botTokenOf(credentials));
  return client;
}

export function discordClientFor(ctx: Pick<ActionContext, 'auth' | 'config' | 'signal'>): Promise<DiscordClient> {
  return createDiscordClient({ credentials: ctx.auth.credentials, config: ctx.config, signal: ctx.signal });
}

/** Discord's 429 body: `{ message, retry_after (seconds, fractional), global, code? }`. */
async function rateLimitBody(res: Response): Promise<DiscordClient['lastRateLimit']> {
  try {
    const body = (await res.json()) as { retry_after?: unknown; global?: unknown; message?: unknown };
    return {
      retryAfterMs: typeof body.retry_after === 'number' ? Math.ceil(body.retry_after * 1000) : undefined,
      global: body.global === true,
      message: typeof body.message === 'string' ? body.message : undefined,
    };
  } catch {
    return {};
  }
}

/** Runs one Discord call (`what` names it in errors, e.g. "POST /channels/{id}/messages"), throwing the SDK's typed error when it fails. */
export async function callDiscord<T>(client: DiscordClient, what: string, call: (rest: REST) => Promise<unknown>): Promise<T> {
  try {
    return (await call(client.rest)) as T;
  } catch (err) {
    throw discordError(err, `Discord ${what}`, client);
  }
}

export function discordError(err: unknown, what: string, client: Pick<DiscordClient, 'signal' | 'lastRateLimit'>): unknown {
  if (isPluginError(err)) return err;
  if (client.signal.aborted) return client.signal.reason ?? err;
  const rest = discordRest.loaded();
  if (rest && err instanceof rest.RateLimitError) {
    const fromBody = client.lastRateLimit?.retryAfterMs;
    const retryAfterMs = fromBody ?? (err.retryAfter > 0 ? err.retryAfter : err.timeToReset > 0 ? err.timeToReset : undefined);
    const scope = err.global || client.lastRateLimit?.global ? 'global' : err.scope;
    return new RateLimitError(`${what} was rate limited (${scope})${retryAfterMs !== undefined ? `; retry after ${retryAfterMs} ms` : ''}`, retryAfterMs, { status: 429, scope });
  }
  if (rest && err instanceof rest.DiscordAPIError) {
    // Discord's message (with the flattened field errors of "Invalid Form Body") and its JSON error code.
    const message = `${err.message}${typeof err.code === 'number' && err.code !== 0 ? ` (code ${err.code})` : ''}`;
    return errorForResponse({ status: err.status, headers: {} }, what, { message, details: { discordCode: err.code } });
  }
  if (rest && err instanceof rest.HTTPError) return errorForResponse({ status: err.status, headers: {}, text: err.message }, what);
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return new TransientError(`${what} timed out`);
  if (err instanceof TypeError) return new TransientError(`${what} failed: ${(err as Error & { cause?: { message?: string } }).cause?.message ?? err.message}`);
  return err;
}

