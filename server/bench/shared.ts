import fs from 'node:fs';
// What the benchmarks share: env knobs, cleanup on exit and on Ctrl-C, the database (an
// in-memory PGlite, or a scratch database on the DATABASE_URL server), Temporal (TEMPORAL_ADDRESS,
// else a dev server started here), and the output helpers. Importing this module installs the
// SIGINT/SIGTERM handlers.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { openDatabase, type DatabaseTarget } from '@patchbay/db';
import { generateKeySpec } from '@patchbay/db/vault';
import { SEARCH_ATTRIBUTES } from '@patchbay/workflows';
import { startTemporalDevServer } from '@patchbay/workflows/dev-server';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { startHub } from '../src/hub.ts';
import { createLogger } from '../src/logger.ts';
import { generateToken } from '../src/services/tokens.ts';

type PgClient = pg.Client;

export function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min} (got "${raw}")`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started registers how to undo itself; undone in reverse, also on Ctrl-C
// ---------------------------------------------------------------------------------------------

export const cleanups: Array<{ what: string; undo: () => Promise<unknown> }> = [];
let cleaning: Promise<void> | undefined;
export const cleanup = () =>
  (cleaning ??= (async () => {
    for (let step = cleanups.pop(); step; step = cleanups.pop()) {
      await step.undo().catch((err: unknown) => console.error(`cleanup: ${step!.what} failed: ${message(err)}`));
    }
  })());
let interruptedAt = 0;
/** True once SIGINT/SIGTERM arrived: steps still running then fail as things close under them. */
export const interrupted = () => interruptedAt !== 0;
/** Called first on Ctrl-C, before cleaning up (e.g. stop the load under way so cleaning isn't starved of CPU). */
let beforeCleanup: (() => void) | undefined;
export const onInterrupt = (fn: () => void) => (beforeCleanup = fn);
function onSignal(signal: NodeJS.Signals) {
  if (interruptedAt) {
    // tsx re-sends the signal when our acknowledgement is slow (a busy loop): only a second
    // Ctrl-C a moment later means "give up on cleaning".
    if (Date.now() - interruptedAt > 1_000) process.exit(130);
    return;
  }
  interruptedAt = Date.now();
  beforeCleanup?.();
  console.error(`\n${signal}: cleaning up (Ctrl-C again to force)…`);
  void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}
// `on`, not `once`: the dev-server module re-raises the signal when nobody else listens.
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

/**
 * Runs a benchmark's `main` (true = the figures are clean), then cleans up. Exit code 1 when
 * the figures are not clean or the benchmark failed; the process then exits by itself.
 */
export async function runBench(name: string, main: () => Promise<boolean>): Promise<void> {
  try {
    const clean = await main();
    if (!clean) process.exitCode = 1;
  } catch (err) {
    // After Ctrl-C, the steps still running fail as things close under them: not worth a report.
    if (!interruptedAt) console.error(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  } finally {
    progress('cleaning up');
    await cleanup();
  }
}

export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
export const progress = (line: string) => process.stderr.write(`› ${line}\n`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `read()` has not changed for `quietMs` (requests the load generator abandoned finish their SQL). */
export async function settle(read: () => number, quietMs = 250, maxMs = 5_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (let last = read(); Date.now() < deadline; ) {
    await sleep(quietMs);
    const now = read();
    if (now === last) return;
    last = now;
  }
}

// ---------------------------------------------------------------------------------------------
// Temporal: TEMPORAL_ADDRESS, else a dev server started for this run
// ---------------------------------------------------------------------------------------------

/** The Temporal frontend to use, and a line saying what it is. A dev server started here is stopped at exit. */
export async function prepareTemporal(): Promise<{ address: string; description: string }> {
  const given = process.env.TEMPORAL_ADDRESS;
  if (given) return { address: given, description: `${given} (TEMPORAL_ADDRESS)` };
  progress('starting a Temporal dev server');
  const dev = await startTemporalDevServer({ port: 0, uiPort: null, searchAttributes: SEARCH_ATTRIBUTES });
  cleanups.push({ what: 'stopping the Temporal dev server', undo: () => dev.stop() });
  return { address: dev.address, description: `dev server at ${dev.address} (started for this run, ${dev.source})` };
}

// ---------------------------------------------------------------------------------------------
// Database: PGlite in memory, or a scratch database on the DATABASE_URL server
// ---------------------------------------------------------------------------------------------

export async function withPg<T>(url: string, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The target to open, and a line saying what it is. Never touches the DATABASE_URL database itself. */
export async function prepareDatabase(): Promise<{ target: DatabaseTarget; description: string }> {
  const given = process.env.DATABASE_URL;
  if (!given) return { target: { kind: 'pglite' }, description: 'PGlite (embedded, in memory)' };

  // A database of our own on the same server: seeding and migrating never pollute the given one,
  // and dropping it at the end leaves nothing behind. Admin statements go to the `postgres` database.
  const name = `patchbay_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const adminUrl = new URL(given);
  adminUrl.pathname = '/postgres';
  const scratchUrl = new URL(given);
  scratchUrl.pathname = `/${name}`;
  const version = await withPg(adminUrl.href, async (client) => {
    // Leftovers of runs that were killed hard (tsx SIGKILLs its child when a Ctrl-C is not
    // acknowledged within ~60 ms, which a loop busy under load can miss). Listed, never dropped:
    // one of them may belong to a run still going.
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'patchbay\\_bench\\_%' ORDER BY 1`);
    if (rows.length) {
      progress(`note: ${rows.length} scratch database(s) of earlier bench runs exist on ${adminUrl.host}; if no bench is running, drop them:`);
      for (const row of rows) progress(`  DROP DATABASE "${String(row.datname)}" WITH (FORCE);`);
    }
    await client.query(`CREATE DATABASE "${name}"`);
    return String((await client.query('SHOW server_version')).rows[0]?.server_version ?? '?');
  });
  // Dropped at exit, also on Ctrl-C; only a hard kill leaves it behind, hence the name here.
  progress(`created scratch database ${name} on ${adminUrl.host}`);
  cleanups.push({
    what: `dropping scratch database ${name}`,
    undo: () =>
      withPg(adminUrl.href, async (client) => {
        // FORCE (PostgreSQL 13+) also ends connections a pool may still be closing.
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => client.query(`DROP DATABASE IF EXISTS "${name}"`));
      }),
  });
  return {
    target: { kind: 'postgres', url: scratchUrl.href },
    description: `PostgreSQL ${version} at ${adminUrl.host}, scratch database "${name}" (dropped at exit)`,
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP and output helpers
// ---------------------------------------------------------------------------------------------

/** Listens on a free loopback port; resolves to `http://127.0.0.1:<port>`. */
export function listen(server: http.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** `machine    2 × <CPU model>, Node v20…` */
export function machineLine(): string {
  const cpus = os.cpus();
  return `machine    ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
}

/**
 * CPU seconds (user + system) this process's main thread has used, from /proc (Linux; null
 * elsewhere). Unlike wall-clock rates it barely moves when other processes share the cores, so
 * "main-thread CPU per request" compares runs made on a busy machine.
 */
export function mainThreadCpuSeconds(): number | null {
  try {
    return statCpuSeconds(fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** utime + stime of a /proc stat line: the 12th and 13th fields after the command name (which may hold spaces). */
function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export const CPU_GROUPS = ['this process', 'PostgreSQL', 'Temporal', 'kernel', 'other'] as const;
export type CpuGroup = (typeof CPU_GROUPS)[number];

/** CPU seconds used so far by each process on this machine, with its group. */
export type CpuSnapshot = Map<number, { group: CpuGroup; seconds: number }>;

/**
 * CPU seconds used so far by every process on this machine, each in its group: this process (all
 * its threads, autocannon's worker included, exited ones too), PostgreSQL's processes, the
 * Temporal server, kernel threads (disk writeback, interrupts) and the rest. Null off Linux.
 */
export function machineCpuSnapshot(): CpuSnapshot | null {
  const snapshot: CpuSnapshot = new Map();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const group: CpuGroup =
        Number(pid) === process.pid ? 'this process'
        : name === 'postgres' ? 'PostgreSQL'
        : name === 'temporal' ? 'Temporal'
        : fs.readFileSync(`/proc/${pid}/cmdline`).length === 0 ? 'kernel'
        : 'other';
      snapshot.set(Number(pid), { group, seconds: statCpuSeconds(stat) });
    } catch {
      // The process ended meanwhile.
    }
  }
  return snapshot;
}

/**
 * CPU seconds each group used between two snapshots: the growth of every process alive at the
 * end (from zero for one started meanwhile). A process that ended meanwhile is left out — its
 * time in between is unknown, and subtracting its whole life (an idle database connection
 * closed during the run) would make a group negative.
 */
export function machineCpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<CpuGroup, number> {
  const delta = Object.fromEntries(CPU_GROUPS.map((group) => [group, 0])) as Record<CpuGroup, number>;
  for (const [pid, { group, seconds }] of after) delta[group] += seconds - (before.get(pid)?.seconds ?? 0);
  return delta;
}

/** The 1/5/15-minute OS load average, e.g. `1.23 / 1.92 / 2.33`. */
export const loadAverage = () => os.loadavg().map((n) => fmt(n, 2)).join(' / ');

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows
    .map((row, i) => {
      const line = row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('   ');
      return i === 0 ? `${line}\n${'-'.repeat(line.length)}` : line;
    })
    .join('\n');
}

/**
 * The hub the webhook benchmarks measure: Temporal and a database as prepared above, then
 * role `all` with a bootstrap OWNER token, private addresses allowed (the targets are local)
 * and a throwaway key ring. Every step registers its clean-up; `facts` gets the setup lines.
 */
/**
 * A hub on a scratch database and Temporal. `role: 'api'` leaves the workflows to a worker
 * started later with `startWorker()` (production runs them as separate processes); that worker
 * shares the database client, so one statement counter sees both.
 */
export async function startBenchHub(name: string, facts: string[], role: 'all' | 'api' = 'all') {
  const temporal = await prepareTemporal();
  facts.push(`temporal   ${temporal.description}`);
  const { target, description } = await prepareDatabase();
  facts.push(`database   ${description}`);
  let statements = 0;
  const db = await openDatabase(target, { onQuery: () => void statements++ });
  cleanups.push({ what: 'closing the database', undo: () => db.close() });

  const token = generateToken();
  const config = loadConfig({
    NODE_ENV: 'development',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `bench-${name}-${randomBytes(4).toString('hex')}`,
    PATCHBAY_ENCRYPTION_KEYS: generateKeySpec('bench'),
    PATCHBAY_BOOTSTRAP_TOKEN: token,
    PATCHBAY_ALLOW_PRIVATE_NETWORK: 'true',
    DATABASE_URL: target.kind === 'postgres' ? target.url : undefined,
  });
  const hubConfig = { ...config, TEMPORAL_ADDRESS: temporal.address };
  const running = await startHub({ config: hubConfig, role, db, logger: createLogger('warn'), migrate: true });
  cleanups.push({
    what: 'stopping the hub',
    undo: async () => {
      await running.stop();
      await settle(() => statements);
    },
  });
  const startWorker = async () => {
    const worker = await startHub({ config: hubConfig, role: 'worker', db, logger: createLogger('warn'), migrate: false });
    cleanups.push({ what: 'stopping the worker', undo: () => worker.stop() });
    return worker;
  };
  return { running, token, db, statements: () => statements, startWorker };
}
