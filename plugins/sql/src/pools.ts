// One connection pool per (connection string + pool options), created on first use and kept in
// this module. Pools are bounded (maxPoolSize), close idle connections on their own, and the
// least recently used ones are closed when too many connections' pools are open at once.
import { createHash } from 'node:crypto';
import type { TestResult } from '@patchbay/sdk';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseConnection, type ConnectionSettings } from './auth.ts';
import { redactorFor, toPluginError, type Redactor } from './errors.ts';

/** An idle pooled connection is closed after this long. */
export const IDLE_TIMEOUT_MS = 30_000;
/** Opening a connection (TCP + TLS + authentication) may take this long. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Waiting for a free connection in a busy pool may take this long before a TransientError. */
export const ACQUIRE_TIMEOUT_MS = 15_000;
/** At most this many pools are kept; beyond it the least recently used idle pools are closed. */
export const MAX_POOLS = 100;

interface EntryBase {
  key: string;
  settings: ConnectionSettings;
  redact: Redactor;
  /** Statements running on this pool now (an entry in use is never evicted). */
  active: number;
  lastUsed: number;
}

export interface PostgresEntry extends EntryBase {
  engine: 'postgres';
  pool: pg.Pool;
  clientConfig: pg.ClientConfig;
}

export type MysqlFlavour = 'mariadb' | 'mysql';

export interface MysqlEntry extends EntryBase {
  engine: 'mysql';
  pool: mysql.Pool;
  connectionOptions: mysql.ConnectionOptions;
  /** Found once per pool with SELECT VERSION(); decides how statement timeouts are set. */
  flavour?: MysqlFlavour;
  serverVersion?: string;
}

export type PoolEntry = PostgresEntry | MysqlEntry;

const pools = new Map<string, PoolEntry>();

/** How many pools are open (one per distinct connection string + options). */
export function poolCount(): number {
  return pools.size;
}

function poolKey(settings: ConnectionSettings): string {
  const identity = JSON.stringify([settings.connectionString, settings.readOnly, settings.maxPoolSize]);
  return createHash('sha256').update(identity).digest('hex');
}

/** The pool for a connection, created on first use. */
export function getPool(settings: ConnectionSettings): PoolEntry {
  const key = poolKey(settings);
  const existing = pools.get(key);
  if (existing) {
    existing.lastUsed = Date.now();
    return existing;
  }
  const entry = settings.engine === 'postgres' ? createPostgresEntry(key, settings) : createMysqlEntry(key, settings);
  pools.set(key, entry);
  evictIdlePools();
  return entry;
}

function evictIdlePools() {
  if (pools.size <= MAX_POOLS) return;
  const idle = [...pools.values()].filter((e) => e.active === 0).sort((a, b) => a.lastUsed - b.lastUsed);
  for (const entry of idle.slice(0, pools.size - MAX_POOLS)) {
    pools.delete(entry.key);
    void endPool(entry);
  }
}

async function endPool(entry: PoolEntry): Promise<void> {
  try {
    await entry.pool.end();
  } catch {
    // already closed or the server went away: nothing left to release
  }
}

/** Closes every pool (process shutdown, tests). Later calls create new pools. */
export async function closeAllPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map(endPool));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

// DATE, TIMESTAMP WITHOUT TIME ZONE and TIME carry no zone: keep PostgreSQL's own text rather than
// guessing one (pg would read them in the worker's local zone). TIMESTAMPTZ stays a Date and
// becomes an ISO string in values.ts.
const RAW_TEXT_TYPES = new Set([1082 /* date */, 1114 /* timestamp */, 1083 /* time */, 1266 /* timetz */]);
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    RAW_TEXT_TYPES.has(oid) && format !== 'binary' ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export function postgresClientConfig(settings: ConnectionSettings): pg.ClientConfig {
  return {
    connectionString: settings.connectionString,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    fallback_application_name: 'patchbay',
    types: pgTypes,
  };
}

function createPostgresEntry(key: string, settings: ConnectionSettings): PostgresEntry {
  const clientConfig = postgresClientConfig(settings);
  const pool = new pg.Pool({
    ...clientConfig,
    max: settings.maxPoolSize,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    allowExitOnIdle: true,
  });
  // An idle client whose server connection drops is removed by the pool; without a listener the
  // 'error' event would crash the process.
  pool.on('error', () => {});
  return { engine: 'postgres', key, settings, redact: redactorFor(settings.connectionString), active: 0, lastUsed: Date.now(), pool, clientConfig };
}

/** A one-off client outside the pool (connection tests, cancelling a running statement). */
export async function withPostgresClient<T>(config: pg.ClientConfig, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  client.on('error', () => {});
  try {
    await client.connect();
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB

/** mysql2 options from a mysql:// or mariadb:// URL; sslmode works as in libpq. */
export function mysqlConnectionOptions(settings: ConnectionSettings): mysql.ConnectionOptions {
  const url = new URL(settings.connectionString);
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const params = url.searchParams;
  const database = decode(url.pathname.replace(/^\//, ''));
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: url.port ? Number(url.port) : 3306,
    user: decode(url.username) || params.get('user') || undefined,
    password: decode(url.password) || params.get('password') || undefined,
    database: database || undefined,
    charset: params.get('charset') ?? 'utf8mb4',
    ssl: mysqlSsl(params.get('sslmode')),
    connectTimeout: CONNECT_TIMEOUT_MS,
    enableKeepAlive: true,
    // One statement per call; never let the server ask for files on this host.
    multipleStatements: false,
    flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
    // Exact values: BIGINT and DECIMAL as strings (as pg does), dates as the server's text.
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
  };
}

function mysqlSsl(sslmode: string | null): mysql.ConnectionOptions['ssl'] {
  switch (sslmode) {
    case null:
    case 'disable':
    case 'allow':
      return undefined;
    // mysql2 cannot fall back to plain text, so "prefer" asks for TLS like "require".
    case 'prefer':
    case 'require':
    case 'no-verify':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, verifyIdentity: false };
    default:
      return { rejectUnauthorized: true, verifyIdentity: true };
  }
}

function createMysqlEntry(key: string, settings: ConnectionSettings): MysqlEntry {
  const connectionOptions = mysqlConnectionOptions(settings);
  const pool = mysql.createPool({
    ...connectionOptions,
    connectionLimit: settings.maxPoolSize,
    // mysql2 closes free connections beyond maxIdle at once, and the rest after idleTimeout.
    maxIdle: Math.max(0, settings.maxPoolSize - 1),
    idleTimeout: IDLE_TIMEOUT_MS,
    waitForConnections: true,
    queueLimit: 0,
    // COM_RESET_CONNECTION on release: no session variable, open transaction or prepared
    // statement survives from one call to the next.
    resetOnRelease: true,
  });
  return { engine: 'mysql', key, settings, redact: redactorFor(settings.connectionString), active: 0, lastUsed: Date.now(), pool, connectionOptions };
}

/** A one-off connection outside the pool (connection tests, KILL QUERY). */
export async function withMysqlConnection<T>(options: mysql.ConnectionOptions, use: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection(options);
  conn.on('error', () => {});
  try {
    return await use(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

export function mysqlFlavourOf(version: string): MysqlFlavour {
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}

// ---------------------------------------------------------------------------------------------
// The auth method's `test` hook

/** Connects once (outside the pools), runs SELECT 1 and says which server answered. */
export async function testConnection(credentials: unknown, config: unknown, signal?: AbortSignal): Promise<TestResult> {
  let settings: ConnectionSettings;
  try {
    settings = parseConnection(credentials, config);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const redact = redactorFor(settings.connectionString);
  const mode = settings.readOnly ? ' (read-only mode)' : '';
  const attempt = async (): Promise<TestResult> => {
    if (settings.engine === 'postgres') {
      const row = await withPostgresClient(postgresClientConfig(settings), async (client) => {
        const result = await client.query<{ ok: number; version: string }>("SELECT 1 AS ok, current_setting('server_version') AS version");
        return result.rows[0];
      });
      return { ok: row?.ok === 1, message: `Connected to PostgreSQL ${row?.version ?? ''}`.trim() + mode };
    }
    const row = await withMysqlConnection(mysqlConnectionOptions(settings), async (conn) => {
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT 1 AS ok, VERSION() AS version');
      return rows[0] as { ok: number; version: string } | undefined;
    });
    const version = row?.version ?? '';
    const name = mysqlFlavourOf(version) === 'mariadb' ? 'MariaDB' : 'MySQL';
    return { ok: Number(row?.ok) === 1, message: `Connected to ${name} ${version.split('-')[0]}`.trim() + mode };
  };
  let onAbort: (() => void) | undefined;
  try {
    if (!signal) return await attempt();
    signal.throwIfAborted();
    return await Promise.race([
      attempt(),
      new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } catch (err) {
    if (signal?.aborted && err === signal.reason) throw err;
    return { ok: false, message: toPluginError(err, { engine: settings.engine, user: settings.user, redact }).message };
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
