// Patchbay's migration runner: `prisma migrate deploy` without the Prisma CLI.
//
// Why not the CLI: every Prisma 7 CLI command first downloads a native schema-engine binary,
// which this environment (and air-gapped installs) cannot do. Prisma also ships the same
// engine compiled to wasm (@prisma/schema-engine-wasm) that talks to the database through a
// JS driver adapter instead of its own drivers — so it works on real PostgreSQL *and* on
// embedded PGlite, and it writes the same `_prisma_migrations` table the CLI would.
//
//   tsx prisma/src/migrate.ts     # DATABASE_URL if set, else PGlite at PGLITE_DATA_DIR
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as engineWasm from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { adapterFactoryFor, type DbTarget } from './adapters.ts';

export type { DbTarget } from './adapters.ts';

const PRISMA_DIR = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMA_PATH = join(PRISMA_DIR, 'schema.prisma');
export const MIGRATIONS_DIR = join(PRISMA_DIR, 'migrations');
export const LOCKFILE_NAME = 'migration_lock.toml';

const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

// Arbitrary app-wide key for pg_advisory_lock. Deliberately not Prisma's own key (72707369):
// the engine takes that one itself, but through the adapter's connection *pool* (nothing pins
// lock and unlock to one connection) and gives up after 10 s, which a slow concurrent migration
// would exceed. Ours is held on one dedicated connection for the whole run and waits as needed.
const MIGRATE_LOCK_KEY = 7_250_612_001;

/** Where migrations are read from; tests point this at a scratch directory. */
export type MigrationsOptions = { migrationsDir?: string };

/** Applies every migration in prisma/migrations not yet recorded in `_prisma_migrations` (idempotent). */
export async function applyMigrations(target: DbTarget, opts: MigrationsOptions = {}): Promise<{ applied: string[] }> {
  const migrationsList = await readMigrations(opts.migrationsDir);
  const apply = () =>
    withEngine(target, (engine) => engine.applyMigrations({ migrationsList, filters: NO_FILTERS }));
  // PGlite lives inside this process (one connection, no other writers): no lock needed.
  const out = target.kind === 'postgres' ? await withAdvisoryLock(target.url, apply) : await apply();
  return { applied: out.appliedMigrationNames };
}

/**
 * The SQL that takes a database built from the committed migrations to prisma/schema.prisma;
 * '' when they agree. Computed on a throwaway in-memory PGlite, so no shadow database is needed.
 */
export async function diffSchemaAgainstMigrations(opts: MigrationsOptions = {}): Promise<string> {
  const [migrationsList, schema] = await Promise.all([readMigrations(opts.migrationsDir), readFile(SCHEMA_PATH, 'utf8')]);
  const files = [{ path: SCHEMA_PATH, content: schema }];
  const db = new PGlite();
  try {
    return await withEngine({ kind: 'pglite', db }, async (engine) => {
      await engine.applyMigrations({ migrationsList, filters: NO_FILTERS });
      // Otherwise the diff would propose dropping Prisma's bookkeeping table.
      await db.exec('DROP TABLE IF EXISTS "_prisma_migrations"');
      const { exitCode, stdout } = await engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: PRISMA_DIR }, // = the live (scratch) db
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: true, // 2 = non-empty diff; an empty one still prints "-- This is an empty migration."
        filters: NO_FILTERS,
      });
      return exitCode === 2 ? (stdout ?? '') : '';
    });
  } finally {
    await db.close();
  }
}

/** prisma/migrations as the engine wants it (same shape the Prisma CLI builds), sorted by name. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const lockContent = await readFile(join(dir, LOCKFILE_NAME), 'utf8').catch(() => null);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(join(dir, name, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (err: Error) => ({ tag: 'error' as const, value: err.message }),
        ),
      },
    })),
  );
  return { baseDir: dir, lockfile: { path: LOCKFILE_NAME, content: lockContent }, shadowDbInitScript: '', migrationDirectories };
}

// --- engine plumbing ---------------------------------------------------------------------

type PanicRegistry = { message: string; get(): string; set_message(m: string): void };
const g = globalThis as typeof globalThis & { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };

let wasmLoaded: Promise<void> | undefined;

// The tsconfig has no DOM lib and @types/node 20 does not declare the WebAssembly global.
type WasmImports = Record<string, unknown>;
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: Record<string, WasmImports>): Promise<{ instance: { exports: WasmImports } }>;
};

// The package's entry does `import * as wasm from "./schema_engine_bg.wasm"` (ESM-wasm
// integration), which Node does not support, so instantiate the module by hand — once.
function loadWasm(): Promise<void> {
  wasmLoaded ??= (async () => {
    // On a Rust panic the wasm reports the message here before throwing (same object Prisma uses).
    g.PRISMA_WASM_PANIC_REGISTRY ??= {
      message: '',
      get() { return this.message; },
      set_message(m) { this.message = `RuntimeError: ${m}`; },
    };
    // createRequire rather than import.meta.resolve: vitest's module runner lacks the latter.
    const url = pathToFileURL(
      join(dirname(createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm'),
    );
    // The engine arms JS timers it never clears (e.g. the 10 s timeout on its own advisory
    // lock), which would keep a finished CLI alive for 10 s. Unref them; withEngine keeps the
    // process alive while an engine call is actually running.
    const imports: WasmImports = { ...engineWasm };
    for (const name of Object.keys(imports)) {
      if (name.startsWith('__wbg_setTimeout_')) {
        imports[name] = (cb: () => void, ms: number) => setTimeout(cb, ms >>> 0).unref();
      }
    }
    const { instance } = await WebAssembly.instantiate(await readFile(url), { './schema_engine_bg.js': imports });
    engineWasm.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return wasmLoaded;
}

/** Engine log lines are JSON; pass on warnings and errors only (INFO is chatty). */
function onEngineLog(line: string): void {
  try {
    const { level, fields } = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    if (level === 'WARN' || level === 'ERROR') console.warn(`[schema-engine] ${level}: ${fields?.message ?? line}`);
  } catch {
    /* not JSON: ignore */
  }
}

async function withEngine<T>(target: DbTarget, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  await loadWasm();
  const schema = await readFile(SCHEMA_PATH, 'utf8');
  // The engine never disposes the adapters it opens (for PrismaPg that leaves a pg.Pool whose
  // idle connections keep the process alive ~10 s), so track them and dispose them ourselves.
  const factory = adapterFactoryFor(target);
  const opened: SqlDriverAdapter[] = [];
  const track = async (connecting: Promise<SqlDriverAdapter>) => {
    const adapter = await connecting;
    opened.push(adapter);
    return adapter;
  };
  const tracked: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => track(factory.connect()),
    connectToShadowDb: () => track(factory.connectToShadowDb()),
  };
  const engine = await engineWasm.SchemaEngine.new(
    { datamodels: [[SCHEMA_PATH, schema]] },
    onEngineLog,
    bindMigrationAwareSqlAdapterFactory(tracked),
  );
  const keepAlive = setInterval(() => {}, 1 << 30); // see the unref'd timers in loadWasm
  try {
    return await fn(engine);
  } catch (err) {
    throw engineError(err);
  } finally {
    clearInterval(keepAlive);
    engine.free();
    await Promise.allSettled(opened.map((adapter) => adapter.dispose()));
  }
}

/** Engine errors arrive as plain objects or bare wasm RuntimeErrors; make them readable Errors. */
function engineError(err: unknown): Error {
  // Prisma's own runtime may have installed a registry of another shape.
  const registry = g.PRISMA_WASM_PANIC_REGISTRY;
  const panic = typeof registry?.get === 'function' ? registry.get() : undefined;
  if (err instanceof Error) {
    if (err.name === 'RuntimeError' && panic) err.message = `schema engine panicked: ${panic}`;
    return err;
  }
  const e = err as { message?: string; error_code?: string; meta?: unknown };
  return new Error(`schema engine: ${e?.message ?? JSON.stringify(err)}`, { cause: err });
}

async function withAdvisoryLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK_KEY]);
    return await fn();
  } finally {
    // Unlock explicitly; closing the session would release it anyway if this fails.
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}

// --- CLI ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const url = process.env.DATABASE_URL;
  let db: PGlite | undefined;
  let where: string;
  let target: DbTarget;
  if (url) {
    target = { kind: 'postgres', url };
    where = `PostgreSQL ${url.replace(/\/\/[^@/]*@/, '//***@')}`; // hide credentials
  } else {
    const dataDir = resolve(process.env.PGLITE_DATA_DIR ?? join(PRISMA_DIR, '..', '.data', 'pglite'));
    await mkdir(dataDir, { recursive: true });
    db = new PGlite(dataDir);
    target = { kind: 'pglite', db };
    where = `PGlite ${dataDir}`;
  }
  try {
    const { applied } = await applyMigrations(target);
    for (const name of applied) console.log(`applied ${name}`);
    const ms = Math.round(performance.now() - started);
    console.log(
      applied.length
        ? `${applied.length} migration(s) applied to ${where} in ${ms} ms`
        : `${where} is up to date (nothing to apply, ${ms} ms)`,
    );
  } finally {
    await db?.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}

