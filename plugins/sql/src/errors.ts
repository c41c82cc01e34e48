// Turns driver errors into the SDK's typed errors, and strips credentials from every message
// that leaves the plugin (driver errors can quote the connection string or parts of it).
import { isPluginError, PermanentError, TransientError, type PluginError } from '@patchbay/sdk';
import type { Engine } from './auth.ts';

const MASK = '***';

/** A function that removes the connection string, its password and any URL credentials from text. */
export type Redactor = (text: string) => string;

export function redactorFor(connectionString: string): Redactor {
  const secrets = new Set<string>([connectionString]);
  try {
    const url = new URL(connectionString);
    for (const raw of [url.password, url.searchParams.get('password') ?? '']) {
      if (!raw) continue;
      secrets.add(raw);
      try {
        secrets.add(decodeURIComponent(raw));
      } catch {
        // not percent-encoded
      }
    }
  } catch {
    // not a URL: only the whole string is masked
  }
  // Very short "passwords" would shred every message they appear in by chance; they are no secret.
  const ordered = [...secrets].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const secret of ordered) out = out.split(secret).join(MASK);
    // Any other credentials in URL form (user:password@host) and password=… pairs.
    out = out.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*):[^@/\s]*@/gi, `$1:${MASK}@`);
    out = out.replace(/(password\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s;&]+)/gi, `$1${MASK}`);
    return out;
  };
}

export interface ErrorContext {
  engine: Engine;
  user?: string;
  redact: Redactor;
  /** The statement timeout in force, for the timeout message. */
  timeoutMs?: number;
}

/** The PermanentError for a statement that ran past its time limit (deterministic: not retried). */
export function timeoutError(timeoutMs: number): PermanentError {
  return new PermanentError(`statement timeout after ${timeoutMs} ms`, { reason: 'STATEMENT_TIMEOUT', timeoutMs });
}

// Network-level failures: the server could not be reached or went away.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'PROTOCOL_ENQUEUE_AFTER_DESTROY',
  'PROTOCOL_ENQUEUE_HANDSHAKE_TWICE',
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

// PostgreSQL SQLSTATEs that pass: connection trouble, resource limits, shutdowns, lock conflicts.
const PG_TRANSIENT = new Set(['08000', '08003', '08006', '08001', '08004', '53000', '53100', '53200', '53300', '53400', '57P01', '57P02', '57P03', '57P05', '40001', '40P01', '55P03', '55006']);
const PG_AUTH = new Set(['28P01', '28000']);

// MySQL/MariaDB error codes (mysql2's `code`) that pass.
const MYSQL_TRANSIENT = new Set([
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_USER_LIMIT_REACHED',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_SHUTDOWN_COMPLETE',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  'ER_OUT_OF_RESOURCES',
  'ER_OUTOFMEMORY',
  'ER_CANT_CREATE_THREAD',
  'ER_SERVER_IS_IN_SECURE_AUTH_MODE',
  'ER_LOCK_TABLE_FULL',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_NET_READ_ERROR',
  'ER_NET_ERROR_ON_WRITE',
]);
const MYSQL_AUTH = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'ER_NOT_SUPPORTED_AUTH_MODE', 'AUTH_SWITCH_PLUGIN_ERROR', 'ER_PASSWORD_EXPIRED', 'ER_MUST_CHANGE_PASSWORD_LOGIN']);
const MYSQL_TIMEOUT = new Set(['ER_STATEMENT_TIMEOUT', 'ER_QUERY_TIMEOUT', 'PROTOCOL_SEQUENCE_TIMEOUT']);
const MYSQL_READ_ONLY = new Set(['ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION']);

// MariaDB-only error numbers mysql2 has no name for.
const MARIADB_ERRORS: Record<number, string> = {
  1927: 'ER_CONNECTION_KILLED',
  1969: 'ER_STATEMENT_TIMEOUT',
};

interface DriverError {
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  detail?: unknown;
  hint?: unknown;
  position?: unknown;
}

const engineName = (engine: Engine) => (engine === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB');

/** Maps anything a driver throws onto Permanent/Transient errors with a credential-free message. */
export function toPluginError(err: unknown, ctx: ErrorContext): PluginError {
  if (isPluginError(err)) return err;
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as DriverError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const rawMessage = typeof e.message === 'string' && e.message ? e.message : String(err);
  const message = ctx.redact(rawMessage);
  const details: Record<string, unknown> = { engine: ctx.engine };
  if (code) details.code = code;
  if (typeof e.errno === 'number') details.errno = e.errno;
  if (typeof e.sqlState === 'string') details.sqlState = e.sqlState;

  if (code && (NETWORK_CODES.has(code) || (/^E[A-Z]+$/.test(code) && /connect|socket|network/i.test(rawMessage)))) {
    return new TransientError(`could not reach the ${engineName(ctx.engine)} server: ${message}`, details);
  }
  if (code && TLS_CODES.has(code)) {
    return new PermanentError(`TLS verification of the ${engineName(ctx.engine)} server failed: ${message}`, details);
  }

  if (ctx.engine === 'postgres') {
    const isSqlState = !!code && /^[0-9A-Z]{5}$/.test(code);
    if (code && PG_AUTH.has(code)) return authError(ctx, message, details);
    if (code === '25006') return readOnlyError(message, details);
    if (code === '57014') {
      if (/statement timeout/i.test(rawMessage) && ctx.timeoutMs) return timeoutError(ctx.timeoutMs);
      return new TransientError(`the statement was cancelled on the server: ${message}`, details);
    }
    if (code && PG_TRANSIENT.has(code)) return new TransientError(`${engineName(ctx.engine)}: ${message}`, details);
    if (isSqlState) {
      const extra = [
        typeof e.detail === 'string' && e.detail ? ctx.redact(e.detail) : undefined,
        typeof e.hint === 'string' && e.hint ? `hint: ${ctx.redact(e.hint)}` : undefined,
        typeof e.position === 'string' && e.position ? `at character ${e.position}` : undefined,
      ].filter(Boolean);
      return new PermanentError(extra.length ? `${message} (${extra.join('; ')})` : message, details);
    }
    // pg's own client-side errors (no SQLSTATE).
    if (/SASL|password must be a string|password authentication/i.test(rawMessage)) return authError(ctx, message, details);
    if (/does not support SSL|SSL connection|self[- ]signed|certificate/i.test(rawMessage)) {
      return new PermanentError(`TLS set-up with the PostgreSQL server failed: ${message}`, details);
    }
    if (/timeout exceeded when trying to connect/i.test(rawMessage)) {
      return new TransientError('no PostgreSQL connection became available in time (the server is slow to accept connections, or every pooled connection is busy)', details);
    }
    if (/Connection terminated|connection timeout|not queryable|Connection ended|ended unexpectedly|socket/i.test(rawMessage)) {
      return new TransientError(`lost the connection to the PostgreSQL server: ${message}`, details);
    }
    return new PermanentError(message, details);
  }

  // MySQL / MariaDB (mysql2 names MySQL's error numbers; MariaDB's own ones are named here)
  const name = code ?? (typeof e.errno === 'number' ? MARIADB_ERRORS[e.errno] : undefined);
  if (name && MYSQL_AUTH.has(name)) return authError(ctx, message, details);
  if (name && MYSQL_READ_ONLY.has(name)) return readOnlyError(message, details);
  if (name && MYSQL_TIMEOUT.has(name) && ctx.timeoutMs) return timeoutError(ctx.timeoutMs);
  if (name && MYSQL_TRANSIENT.has(name)) return new TransientError(`${engineName(ctx.engine)}: ${message}`, details);
  if (name === 'HANDSHAKE_NO_SSL_SUPPORT' || /SSL|certificate/i.test(name ?? '')) {
    return new PermanentError(`TLS set-up with the MySQL/MariaDB server failed: ${message}`, details);
  }
  if (!code && /Connection lost|closed state|connect ETIMEDOUT|socket/i.test(rawMessage)) {
    return new TransientError(`lost the connection to the MySQL/MariaDB server: ${message}`, details);
  }
  return new PermanentError(message, details);
}

function authError(ctx: ErrorContext, message: string, details: Record<string, unknown>): PermanentError {
  // Not an AuthError: there is no token to refresh; the connection string itself is wrong.
  return new PermanentError(`authentication failed for user ${ctx.user ?? '(default)'}: ${message}`, { ...details, reason: 'AUTHENTICATION_FAILED' });
}

function readOnlyError(message: string, details: Record<string, unknown>): PermanentError {
  return new PermanentError(`read-only mode: the connection is read-only (readOnly: true), so the statement was refused: ${message}`, { ...details, reason: 'READ_ONLY' });
}
