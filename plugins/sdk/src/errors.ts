// Typed failures a plugin throws. The worker maps them onto Temporal retry behaviour:
// Permanent → not retried; RateLimit → retried after `retryAfterMs`; Transient → retried
// with backoff; Auth → the connection's token is refreshed, then retried.

export type PluginErrorKind = 'AUTH' | 'RATE_LIMIT' | 'PERMANENT' | 'TRANSIENT';

export abstract class PluginError extends Error {
  abstract readonly kind: PluginErrorKind;
  constructor(message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
  }
}

/** Credentials were rejected (401, expired session): refresh the token and try again. */
export class AuthError extends PluginError {
  readonly kind = 'AUTH';
}

/** The provider asked us to slow down; `retryAfterMs` comes from its Retry-After. */
export class RateLimitError extends PluginError {
  readonly kind = 'RATE_LIMIT';
  constructor(message: string, readonly retryAfterMs?: number, details?: Record<string, unknown>) {
    super(message, details);
  }
}

/** The request itself is wrong (4xx, invalid input): retrying cannot help. */
export class PermanentError extends PluginError {
  readonly kind = 'PERMANENT';
}

/** A passing fault (5xx, network): retry with backoff. */
export class TransientError extends PluginError {
  readonly kind = 'TRANSIENT';
}

export function isPluginError(err: unknown): err is PluginError {
  return err instanceof PluginError;
}
