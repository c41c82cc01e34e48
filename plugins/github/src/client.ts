// The Octokit client for a connection: base URL from config (GitHub Enterprise Server:
// https://ghe.example.com/api/v3), credentials by mode, no retries of its own (Temporal
// retries), cancellation from the run. githubCall turns Octokit failures into the SDK's typed
// errors.
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { AuthError, errorForResponse, headersRecord, PermanentError, RateLimitError, TransientError, type AuthMode, type PluginError } from '@patchbay/sdk';

export const GITHUB_API = 'https://api.github.com';
export const USER_AGENT = 'patchbay-plugin-github/0.1.0';

export interface GithubConnection {
  mode: AuthMode;
  credentials: unknown;
  config: { baseUrl?: string } & Record<string, unknown>;
  signal?: AbortSignal;
}

export function createGithubClient({ mode, credentials, config, signal }: GithubConnection): Octokit {
  const baseUrl = (config.baseUrl ?? GITHUB_API).replace(/\/+$/, '');
  const common = { baseUrl, userAgent: USER_AGENT, request: { retries: 0, signal }, log: quietLog };
  if (mode === 'BOT_TOKEN') {
    const { appId, privateKey, installationId } = credentials as { appId: string | number; privateKey: string; installationId: string | number };
    return new Octokit({ ...common, authStrategy: createAppAuth, auth: { appId, privateKey, installationId } });
  }
  if (mode === 'API_KEY') return new Octokit({ ...common, auth: (credentials as { apiKey: string }).apiKey });
  throw new PermanentError(`GitHub connections do not support ${mode}`);
}

// Octokit logs deprecations and request errors to the console; the run records the failure.
const noop = () => {};
const quietLog = { debug: noop, info: noop, warn: noop, error: noop };

interface OctokitFailure {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** Runs one Octokit call; any failure comes out as AuthError / RateLimitError / PermanentError / TransientError. */
export async function githubCall<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw githubError(err, what);
  }
}

export function githubError(err: unknown, what: string, now = Date.now()): PluginError | Error {
  const failure = err as OctokitFailure;
  if ((err as Error)?.name === 'AbortError') return err as Error;
  if (typeof failure?.status !== 'number' || (failure.status === 500 && !failure.response)) {
    return new TransientError(`${what} failed: ${(err as Error)?.message ?? String(err)}`);
  }
  const status = failure.status;
  const headers = headersRecord(failure.response?.headers);
  const message = githubMessage(failure.response?.data) ?? failure.message ?? '';
  const detail = `${what} answered ${status}: ${message}`;
  // Primary rate limit: 403 (or 429) with x-ratelimit-remaining: 0; wait until x-ratelimit-reset.
  if ((status === 403 || status === 429) && headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    const retryAfterMs = headers['retry-after'] ? parseSeconds(headers['retry-after']) : Number.isFinite(reset) ? Math.max(0, reset * 1000 - now) : undefined;
    return new RateLimitError(detail, retryAfterMs, { status });
  }
  // Secondary rate limit: 403/429 with retry-after, or GitHub's message; wait at least a minute without a header.
  if (status === 403 && (headers['retry-after'] || /secondary rate limit|abuse/i.test(message))) {
    return new RateLimitError(detail, headers['retry-after'] ? parseSeconds(headers['retry-after']) : 60_000, { status });
  }
  if (status === 401) return new AuthError(detail, { status });
  return errorForResponse({ status, headers }, what, { message });
}

function parseSeconds(value: string): number | undefined {
  const n = Number(value);
  return Number.isFinite(n) ? Math.round(n * 1000) : undefined;
}

/** GitHub's `{ message, errors: [{ resource, field, code, message }] }` as one line. */
function githubMessage(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return typeof data === 'string' && data ? data.slice(0, 500) : undefined;
  const body = data as { message?: unknown; errors?: unknown };
  if (typeof body.message !== 'string') return undefined;
  const errors = Array.isArray(body.errors)
    ? body.errors
        .map((e) => (typeof e === 'string' ? e : e && typeof e === 'object' ? ((e as { message?: string }).message ?? [(e as { resource?: string }).resource, (e as { field?: string }).field, (e as { code?: string }).code].filter(Boolean).join(' ')) : ''))
        .filter(Boolean)
    : [];
  return errors.length ? `${body.message} (${errors.join('; ')})` : body.message;
}

