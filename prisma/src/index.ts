// The one way every Patchbay process opens its database: PostgreSQL when a URL is given,
// otherwise the embedded PGlite (in a data directory, or in memory for tests).
// Both come with LISTEN/NOTIFY so live events work the same on either.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient, type Prisma } from '../generated/client/client.ts';

export { Prisma, PrismaClient } from '../generated/client/client.ts';
export type * from '../generated/client/client.ts';
export * from '../generated/client/enums.ts';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'pglite'; dataDir?: string };

export type Unlisten = () => Promise<void>;

export interface Database {
  kind: DatabaseTarget['kind'];
  prisma: PrismaClient;
  /** Calls `onPayload` for every NOTIFY on `channel`, from any process sharing the database. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<Unlisten>;
  /**
   * One statement straight on the driver (pg's pool, shared with Prisma, or PGlite), without
   * Prisma's client: for the hottest bulk statements only, where the client's per-parameter
   * work cost more CPU than the database did (bench:ingest). Rows are as the driver parses them.
   * `prepare` names the statement: PostgreSQL then parses and plans it once per connection, not
   * on every call (the two cost more than running it did). The same name must always carry the
   * same SQL text.
   */
  sql<T = Record<string, unknown>>(query: Prisma.Sql, options?: { prepare?: string }): Promise<T[]>;
  /**
   * Several such statements in one transaction on one connection: committed once `work` has
   * resolved, rolled back if it throws (the error is rethrown).
   */
  sqlTransaction<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T>;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Only for PGlite: the in-process instance (the migration runner needs it). */
  pglite?: PGlite;
  /** Only for PostgreSQL: the connection URL (the migration runner needs it). */
  url?: string;
}

/** Runs one statement inside a Database.sqlTransaction. */
export type SqlRunner = <T = Record<string, unknown>>(query: Prisma.Sql) => Promise<T[]>;

/** What the migration runner needs to reach this database. */
export function migrationTargetOf(db: Database): { kind: 'postgres'; url: string } | { kind: 'pglite'; db: PGlite } {
  return db.kind === 'postgres' ? { kind: 'postgres', url: db.url! } : { kind: 'pglite', db: db.pglite! };
}

export function targetFromEnv(env: { DATABASE_URL?: string; PGLITE_DATA_DIR?: string }): DatabaseTarget {
  return env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL } : { kind: 'pglite', dataDir: env.PGLITE_DATA_DIR };
}

export interface OpenOptions {
  /**
   * Called once per SQL statement sent (benchmarks count statements per request): on PostgreSQL
   * on each pooled connection, Prisma's and db.sql's alike; on PGlite through Prisma's query events.
   */
  onQuery?: (sql: string) => void;
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target.url, options) : openPglite(target.dataDir, options);
}

/** Counts through Prisma's query events (PGlite: no pool underneath to count at). */
function createClient(adapter: SqlDriverAdapterFactory, { onQuery }: OpenOptions): PrismaClient {
  if (!onQuery) return new PrismaClient({ adapter });
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query' as never, (event: { query: string }) => onQuery(event.query));
  return client;
}

async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url });
  // Statements are counted where they leave, on each pooled connection (Prisma's and db.sql's
  // alike): Prisma's query events would have it serialize every statement's parameters for a
  // log, and so add to the work a benchmark measures.
  const { onQuery } = options;
  if (onQuery) pool.on('connect', (client) => countQueries(client, onQuery));
  const prisma = createClient(new PrismaPg(pool), {});
  const listeners = new Map<string, Set<(payload: string) => void>>();
  // One dedicated connection carries every LISTEN of this process; pooled connections can't.
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;

  const connectListener = async (): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (msg) => {
      for (const cb of listeners.get(msg.channel) ?? []) cb(msg.payload ?? '');
    });
    c.on('error', () => {
      // The listener connection dropped (server restart, network): reconnect and re-LISTEN.
      client = undefined;
      connecting = undefined;
      if (!closed && listeners.size > 0) setTimeout(() => void ensureClient().catch(() => {}), 1000);
    });
    await c.connect();
    for (const channel of listeners.keys()) await c.query(`LISTEN ${quoteIdent(channel)}`);
    client = c;
    return c;
  };
  const ensureClient = () => (client ? Promise.resolve(client) : (connecting ??= connectListener()));

  return {
    kind: 'postgres',
    url,
    prisma,
    async listen(channel, onPayload) {
      let set = listeners.get(channel);
      const first = !set;
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(onPayload);
      const c = await ensureClient();
      if (first) await c.query(`LISTEN ${quoteIdent(channel)}`);
      return async () => {
        set.delete(onPayload);
        if (set.size === 0 && listeners.get(channel) === set) {
          listeners.delete(channel);
          await client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
        }
      };
    },
    async sql<T>(query: Prisma.Sql, { prepare }: { prepare?: string } = {}) {
      return (await pool.query({ name: prepare, text: query.text, values: query.values as unknown[] })).rows as T[];
    },
    async sqlTransaction(work) {
      const client = await pool.connect();
      // A connection whose ROLLBACK failed is closed rather than returned to the pool mid-transaction.
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(async (query) => (await client.query({ text: query.text, values: query.values as unknown[] })).rows);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    async close() {
      closed = true;
      await client?.end().catch(() => {});
      await prisma.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}

async function openPglite(dataDir: string | undefined, options: OpenOptions): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir);
  await pglite.waitReady;
  const prisma = createClient(new PrismaPGlite(pglite), options);
  return {
    kind: 'pglite',
    prisma,
    pglite,
    async listen(channel, onPayload) {
      return pglite.listen(channel, onPayload);
    },
    async sql<T>(query: Prisma.Sql) {
      options.onQuery?.(query.text);
      return (await pglite.query<T>(query.text, query.values as unknown[])).rows;
    },
    sqlTransaction(work) {
      return pglite.transaction((tx) =>
        work(async (query) => {
          options.onQuery?.(query.text);
          return (await tx.query(query.text, query.values as unknown[])).rows as never[];
        }),
      );
    },
    async ping() {
      await pglite.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

function countQueries(client: pg.PoolClient, onQuery: (sql: string) => void) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const [first] = args;
    onQuery(typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? ''));
    return query(...args);
  }) as typeof client.query;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export * from './events.ts';
export { sortableId } from './ids.ts';
export { eventTypeMatches, newMessageId, deliveryPayload } from './fanout.ts';
export * from './webhook-events.ts';
export { MAX_FLOW_CHAIN_DEPTH, type FlowRunRequest } from './flow-runs.ts';
