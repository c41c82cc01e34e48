// Integration tests for the wasm-engine migration runner, on embedded PGlite and (when one is
// reachable) a real PostgreSQL: scratch databases are created per run and dropped afterwards.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, diffSchemaAgainstMigrations, MIGRATIONS_DIR, readMigrations, SCHEMA_PATH } from './migrate.ts';

// Every model in schema.prisma is a table (sorted as PostgreSQL's ORDER BY sorts them here).
const MODEL_TABLES = [...(await readFile(SCHEMA_PATH, 'utf8')).matchAll(/^model (\w+) \{/gm)].map((m) => m[1]!).sort();
const committed = (await readMigrations()).migrationDirectories.map((d) => d.path);

const TABLES_SQL = `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
const APPLIED_SQL = `SELECT migration_name FROM _prisma_migrations
  WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`;

describe('on in-memory PGlite', () => {
  it('applies every committed migration once; a second run is a no-op', async () => {
    expect(committed.length).toBeGreaterThan(0);
    const db = new PGlite();
    try {
      expect(await applyMigrations({ kind: 'pglite', db })).toEqual({ applied: committed });

      const tables = (await db.query<{ tablename: string }>(TABLES_SQL)).rows.map((r) => r.tablename);
      expect(tables).toEqual([...MODEL_TABLES, '_prisma_migrations']);
      const recorded = (await db.query<{ migration_name: string }>(APPLIED_SQL)).rows.map((r) => r.migration_name);
      expect(recorded).toEqual(committed);
      // The schema is usable: defaults and the unique constraint are in place.
      await db.query(`INSERT INTO "Organization" (id, slug, name) VALUES ('o1', 'acme', 'Acme')`);
      await expect(db.query(`INSERT INTO "Organization" (id, slug, name) VALUES ('o2', 'acme', 'Other')`)).rejects.toThrow(/unique/i);

      expect(await applyMigrations({ kind: 'pglite', db })).toEqual({ applied: [] });
      expect((await db.query(APPLIED_SQL)).rows).toHaveLength(committed.length);
    } finally {
      await db.close();
    }
  });

  it('diffSchemaAgainstMigrations() is empty: committed migrations match schema.prisma', async () => {
    expect(await diffSchemaAgainstMigrations()).toBe('');
  });

  it('diffSchemaAgainstMigrations() returns the CREATE statements when no migration exists', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'pb-no-migrations-'));
    try {
      const sql = await diffSchemaAgainstMigrations({ migrationsDir: empty });
      for (const table of MODEL_TABLES) expect(sql).toContain(`CREATE TABLE "${table}"`);
      expect(sql).not.toContain('_prisma_migrations');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

// --- PostgreSQL ----------------------------------------------------------------------------

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pgReachable = await (async () => {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
})();
if (!pgReachable) console.warn(`[migrate.int.test] PostgreSQL not reachable at ${ADMIN_URL}: skipping PostgreSQL tests`);

const scratchDbs: string[] = [];

/** Creates an empty, uniquely named database and returns its URL (dropped in afterAll). */
async function scratchDatabase(): Promise<string> {
  const name = `pb_migrate_test_${process.pid}_${Date.now()}_${scratchDbs.length}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  scratchDbs.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function query(url: string, sql: string): Promise<unknown[][]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  if (!scratchDbs.length) return;
  await withAdmin(async (c) => {
    for (const name of scratchDbs) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
});

describe.skipIf(!pgReachable)(`on PostgreSQL (${ADMIN_URL.replace(/\/\/[^@/]*@/, '//')})`, () => {
  it('applies every committed migration to a fresh database; a second run is a no-op', async () => {
    const url = await scratchDatabase();
    expect(await applyMigrations({ kind: 'postgres', url })).toEqual({ applied: committed });
    expect((await query(url, TABLES_SQL)).flat()).toEqual([...MODEL_TABLES, '_prisma_migrations']);
    expect((await query(url, APPLIED_SQL)).flat()).toEqual(committed);

    expect(await applyMigrations({ kind: 'postgres', url })).toEqual({ applied: [] });
    expect(await query(url, APPLIED_SQL)).toHaveLength(committed.length);
    // Our advisory lock (and the engine's) were released.
    expect(await query(url, `SELECT 1 FROM pg_locks WHERE locktype = 'advisory'`)).toEqual([]);
  });

  it('two concurrent applies both succeed and apply each migration exactly once', async () => {
    const url = await scratchDatabase();
    const results = await Promise.all([applyMigrations({ kind: 'postgres', url }), applyMigrations({ kind: 'postgres', url })]);
    const applied = results.map((r) => r.applied);
    // One call did the work, the other found nothing left to do (order is up to the lock).
    expect(applied).toContainEqual(committed);
    expect(applied).toContainEqual([]);
    expect(await query(url, `SELECT migration_name FROM _prisma_migrations ORDER BY 1`)).toEqual(committed.map((n) => [n]));
  });

  it('two concurrent CLI processes both exit 0 and apply each migration exactly once', async () => {
    const url = await scratchDatabase();
    const script = fileURLToPath(new URL('./migrate.ts', import.meta.url));
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)), // repo root, where tsx is installed
        env: { ...process.env, DATABASE_URL: url },
      });
    const outputs = (await Promise.all([run(), run()])).map((r) => r.stdout); // execFile rejects on exit ≠ 0
    const appliedLines = outputs.join('').split('\n').filter((l) => l.startsWith('applied '));
    expect(appliedLines).toEqual(committed.map((n) => `applied ${n}`));
    expect(outputs.some((o) => o.includes('is up to date'))).toBe(true);
    expect(await query(url, `SELECT count(*)::int FROM _prisma_migrations`)).toEqual([[committed.length]]);
  });

  it('a failing migration rejects with the database error and the migration name', async () => {
    const url = await scratchDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'pb-broken-migrations-'));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      await mkdir(join(dir, '29990101000000_broken'));
      await writeFile(join(dir, '29990101000000_broken', 'migration.sql'), 'ALTER TABLE "Nope" ADD COLUMN x INT;\n');
      await expect(applyMigrations({ kind: 'postgres', url }, { migrationsDir: dir })).rejects.toThrow(
        /Nope[\s\S]*29990101000000_broken/,
      );
      // The good migrations before it stay applied; the broken one is recorded as unfinished.
      expect((await query(url, APPLIED_SQL)).flat()).toEqual(committed);
      expect(await query(url, `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NULL`)).toEqual([
        ['29990101000000_broken'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
