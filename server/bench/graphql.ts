// `pnpm bench:graphql`: how fast does the hub answer a realistic GraphQL query, next to the
// cheapest request graphql-yoga can serve, and how many SQL statements does one request cost?
//
// Everything is real: a Temporal server (TEMPORAL_ADDRESS, else a dev server started here), the
// database (PostgreSQL from DATABASE_URL, in a scratch database created and dropped here; else an
// in-memory PGlite), the hub's `api` role over HTTP, and autocannon as the load generator.
//
//   pnpm bench:graphql
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres pnpm bench:graphql
//   BENCH_DURATION=30 BENCH_CONNECTIONS=20 pnpm bench:graphql
//
// Knobs (env): BENCH_DURATION (s per measured run, 10), BENCH_CONNECTIONS (10), BENCH_WARMUP
// (s, 3), BENCH_REQUESTS (sequential requests per statement count, 20), BENCH_WORKERS
// (autocannon worker threads, 1; 0 = load generator on the server's own event loop).
//
// It prints figures and asserts nothing about speed. It exits 1 only when the figures cannot be
// trusted: non-2xx answers, socket errors, or responses that differ from the verified one.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { openDatabase, type DatabaseTarget } from '@patchbay/db';
import { SEARCH_ATTRIBUTES } from '@patchbay/workflows';
import { startTemporalDevServer } from '@patchbay/workflows/dev-server';
import autocannon from 'autocannon';
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { startHub } from '../src/hub.ts';
import { createLogger } from '../src/logger.ts';
import { seedBenchData } from './seed.ts';

type AutocannonResult = autocannon.Result;
type PgClient = pg.Client;

// ---------------------------------------------------------------------------------------------
// Settings and the two queries
// ---------------------------------------------------------------------------------------------

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min} (got "${raw}")`);
  return value;
}

const DURATION = envNumber('BENCH_DURATION', 10, 1);
const CONNECTIONS = Math.round(envNumber('BENCH_CONNECTIONS', 10, 1));
const WARMUP = envNumber('BENCH_WARMUP', 3, 0);
const SEQUENTIAL = Math.round(envNumber('BENCH_REQUESTS', 20, 1));
const WORKERS = Math.round(envNumber('BENCH_WORKERS', 1, 0));

const runsQuery = (first: number) =>
  `query Runs { runs(first: ${first}) { edges { cursor node { id kind status action attempts input output error ` +
  `createdAt startedAt finishedAt workflowId connection { id name status authMode integrationKey } } } ` +
  `pageInfo { hasNextPage endCursor } } }`;
const REALISTIC_BODY = JSON.stringify({ query: runsQuery(50), operationName: 'Runs' });
const RUNS_10_BODY = JSON.stringify({ query: runsQuery(10), operationName: 'Runs' });
const TRIVIAL_BODY = JSON.stringify({ query: '{ hello }' });

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started registers how to undo itself; undone in reverse, also on Ctrl-C
// ---------------------------------------------------------------------------------------------

const cleanups: Array<{ what: string; undo: () => Promise<unknown> }> = [];
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    for (let step = cleanups.pop(); step; step = cleanups.pop()) {
      await step.undo().catch((err: unknown) => console.error(`cleanup: ${step!.what} failed: ${message(err)}`));
    }
  })());
let interruptedAt = 0;
/** The load run under way, stopped first on Ctrl-C so cleaning up isn't starved of CPU. */
let currentLoad: { stop(): void } | undefined;
function onSignal(signal: NodeJS.Signals) {
  if (interruptedAt) {
    // tsx re-sends the signal when our acknowledgement is slow (a busy loop): only a second
    // Ctrl-C a moment later means "give up on cleaning".
    if (Date.now() - interruptedAt > 1_000) process.exit(130);
    return;
  }
  interruptedAt = Date.now();
  currentLoad?.stop();
  console.error(`\n${signal}: cleaning up (Ctrl-C again to force)…`);
  void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}
// `on`, not `once`: the dev-server module re-raises the signal when nobody else listens.
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const progress = (line: string) => process.stderr.write(`› ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `read()` has not changed for `quietMs` (requests the load generator abandoned finish their SQL). */
async function settle(read: () => number, quietMs = 250, maxMs = 5_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (let last = read(); Date.now() < deadline; ) {
    await sleep(quietMs);
    const now = read();
    if (now === last) return;
    last = now;
  }
}

// ---------------------------------------------------------------------------------------------
// Database: PGlite in memory, or a scratch database on the DATABASE_URL server
// ---------------------------------------------------------------------------------------------

async function withPg<T>(url: string, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The target to open, and a line saying what it is. Never touches the DATABASE_URL database itself. */
async function prepareDatabase(): Promise<{ target: DatabaseTarget; description: string }> {
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
// HTTP helpers
// ---------------------------------------------------------------------------------------------

async function post(url: string, body: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 300)}`);
  return text;
}

interface RunsPage {
  data?: {
    runs: {
      edges: Array<{ cursor: string; node: { id: string; connection: { id: string; name: string } | null } }>;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  } | null;
  errors?: unknown[];
}

/** Throws unless `text` is a clean page of exactly `first` runs, each with its connection. */
function checkRunsPage(text: string, first: number): void {
  const result = JSON.parse(text) as RunsPage;
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors).slice(0, 500)}`);
  const runs = result.data?.runs;
  if (!runs) throw new Error(`no data.runs in ${text.slice(0, 300)}`);
  if (runs.edges.length !== first) throw new Error(`expected ${first} edges, got ${runs.edges.length}`);
  const withoutConnection = runs.edges.filter((edge) => !edge.node.connection?.id).length;
  if (withoutConnection) throw new Error(`${withoutConnection} of ${first} runs came back without their connection`);
  if (new Set(runs.edges.map((edge) => edge.node.id)).size !== first) throw new Error('duplicate runs in one page');
  if (!runs.pageInfo.hasNextPage) throw new Error('expected hasNextPage: the seed has more runs than one page');
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

// ---------------------------------------------------------------------------------------------
// Load runs
// ---------------------------------------------------------------------------------------------

interface LoadTarget {
  title: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The verified response: every response under load must be byte-identical to it. */
  expectBody: string;
}

function cannon(target: LoadTarget, duration: number): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    currentLoad = autocannon(
      {
        title: target.title,
        url: target.url,
        method: 'POST',
        headers: target.headers,
        body: target.body,
        expectBody: target.expectBody,
        connections: CONNECTIONS,
        duration,
        // In a worker thread the load generator gets its own core instead of competing with the
        // server for this event loop (the server side is one Node thread either way).
        ...(WORKERS > 0 ? { workers: WORKERS } : {}),
      },
      (err, result) => {
        currentLoad = undefined;
        if (err) reject(err);
        else resolve(result);
      },
    );
  });
}

/** Problems that make a run's figures worthless (the response body check covers GraphQL errors). */
function problems(result: AutocannonResult): string[] {
  const out: string[] = [];
  if (result.non2xx) out.push(`${result.non2xx} non-2xx responses (${JSON.stringify(result.statusCodeStats)})`);
  if (result.errors) out.push(`${result.errors} socket errors (${result.timeouts} timeouts)`);
  if (result.mismatches) out.push(`${result.mismatches} responses differed from the verified one (GraphQL errors?)`);
  if (!result.requests.total) out.push('no request completed');
  return out;
}

interface Counters {
  statements(): number;
  /** Requests the server received (counted server-side, so abandoned in-flight ones count too). */
  requests(): number;
}

interface Measured {
  result: AutocannonResult;
  /** SQL statements and server-received requests during the measured run. */
  statements: number;
  received: number;
  /** Share of the measured run this thread's event loop was busy (server, PGlite and Prisma all run on it). */
  loopBusy: number;
  problems: string[];
}

async function load(target: LoadTarget, counters: Counters): Promise<Measured> {
  const found: string[] = [];
  if (WARMUP > 0) {
    progress(`${target.title}: warming up for ${WARMUP} s`);
    const warm = await cannon(target, WARMUP);
    found.push(...problems(warm).map((p) => `warm-up: ${p}`));
    await settle(counters.statements);
  }
  progress(`${target.title}: ${DURATION} s with ${CONNECTIONS} connections`);
  const before = { statements: counters.statements(), requests: counters.requests() };
  const elu = performance.eventLoopUtilization();
  const result = await cannon(target, DURATION);
  const loopBusy = performance.eventLoopUtilization(elu).utilization;
  await settle(counters.statements);
  found.push(...problems(result));
  return {
    result,
    statements: counters.statements() - before.statements,
    received: counters.requests() - before.requests,
    loopBusy,
    problems: found,
  };
}

// ---------------------------------------------------------------------------------------------
// SQL statements per request
// ---------------------------------------------------------------------------------------------

interface StatementCount {
  first: number;
  perRequest: number;
  /** Statement shapes (first 80 characters) with how often each ran per request, plus a FROM… excerpt. */
  shapes: Array<{ shape: string; perRequest: number; from: string }>;
}

const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();

async function countStatements(
  url: string,
  headers: Record<string, string>,
  first: number,
  capture: (into: string[] | null) => void,
): Promise<StatementCount> {
  const body = first === 50 ? REALISTIC_BODY : RUNS_10_BODY;
  checkRunsPage(await post(url, body, headers), first); // not counted: warms caches, like a steady state
  await sleep(100);
  const sqls: string[] = [];
  capture(sqls);
  for (let i = 0; i < SEQUENTIAL; i++) checkRunsPage(await post(url, body, headers), first);
  await settle(() => sqls.length, 100); // a fire-and-forget statement of these requests (there should be none) lands now
  capture(null);

  const byShape = new Map<string, { count: number; from: string }>();
  for (const sql of sqls) {
    const flat = oneLine(sql);
    const shape = flat.slice(0, 80);
    // From FROM on, with long IN lists shortened to their size: `IN ($1, … 51 parameters)`.
    const tail = flat.slice(Math.max(0, flat.search(/ FROM | SET /) + 1))
      .replace(/\((\$\d+)(?:,\$\d+)+\)/g, (list, head: string) => `(${head}, … ${list.split(',').length} parameters)`);
    const entry = byShape.get(shape) ?? { count: 0, from: tail.slice(0, 130) };
    entry.count++;
    byShape.set(shape, entry);
  }
  return {
    first,
    perRequest: sqls.length / SEQUENTIAL,
    shapes: [...byShape].map(([shape, { count, from }]) => ({ shape, perRequest: count / SEQUENTIAL, from })),
  };
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows
    .map((row, i) => {
      const line = row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('   ');
      return i === 0 ? `${line}\n${'-'.repeat(line.length)}` : line;
    })
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

async function main(): Promise<boolean> {
  const cpus = os.cpus();
  const facts: string[] = [
    `machine    ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`,
    `load       autocannon, ${CONNECTIONS} connections, ${DURATION} s per target after ${WARMUP} s warm-up, ` +
      (WORKERS > 0 ? `${WORKERS} worker thread(s)` : 'on the server thread'),
  ];
  const loadAverage = () => os.loadavg().map((n) => fmt(n, 2)).join(' / ');
  const loadBefore = loadAverage();

  // 1. Temporal: the api role connects at start (and registers search attributes) even though
  //    this query never starts a workflow.
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (temporalAddress) {
    facts.push(`temporal   ${temporalAddress} (TEMPORAL_ADDRESS)`);
  } else {
    progress('starting a Temporal dev server');
    const dev = await startTemporalDevServer({ port: 0, uiPort: null, searchAttributes: SEARCH_ATTRIBUTES });
    cleanups.push({ what: 'stopping the Temporal dev server', undo: () => dev.stop() });
    temporalAddress = dev.address;
    facts.push(`temporal   dev server at ${dev.address} (started for this run, ${dev.source})`);
  }

  // 2. Database, with every SQL statement Prisma sends counted (and captured while asked to).
  const { target, description } = await prepareDatabase();
  facts.push(`database   ${description}`);
  let statements = 0;
  let captured: string[] | null = null;
  progress(`opening ${target.kind === 'pglite' ? 'PGlite' : 'PostgreSQL'}`);
  const db = await openDatabase(target, {
    onQuery: (sql) => {
      statements++;
      captured?.push(sql);
    },
  });
  cleanups.push({ what: 'closing the database', undo: () => db.close() });

  // 3. The hub's api role, migrating the empty database. The config comes only from what is given
  //    here, so the shell's PATCHBAY_* variables cannot change what is measured.
  progress('starting the hub (api role, migrating)');
  const config = loadConfig({
    NODE_ENV: 'development',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: temporalAddress,
    // The migration runner reads the URL from the config (it does not reuse `db`).
    DATABASE_URL: target.kind === 'postgres' ? target.url : undefined,
  });
  const running = await startHub({
    config: { ...config, TEMPORAL_ADDRESS: temporalAddress },
    role: 'api',
    db,
    logger: createLogger('warn'),
    migrate: true,
  });
  cleanups.push({
    what: 'stopping the hub',
    undo: async () => {
      await running.stop();
      // Requests already inside the hub keep running after its socket closes (after a Ctrl-C
      // under load): let their SQL finish before the database closes and is dropped under them.
      await settle(() => statements);
    },
  });
  const hubUrl = `${running.app!.url}/graphql`;
  let hubRequests = 0;
  running.app!.server.on('request', () => hubRequests++); // an extra listener only counts

  // 4. Data.
  progress('seeding');
  const seeded = await seedBenchData(db);
  facts.push(
    `data       1 org: OWNER token, ${seeded.connectionIds.length} http connections, ${seeded.runs} ACTION runs ` +
      `(+ ${seeded.otherOrgRuns} runs in a second org)`,
  );
  const hubHeaders = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${seeded.token}` };

  // 5. The realistic query answers correctly before it is measured; its bytes become the expected body.
  const realisticResponse = await post(hubUrl, REALISTIC_BODY, hubHeaders);
  checkRunsPage(realisticResponse, 50);
  progress(`runs(first: 50) verified: 50 edges, each with its connection (${realisticResponse.length} bytes)`);

  // 6. The baseline: the cheapest yoga request there is, same process, its own port.
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } }),
  });
  const trivialServer = http.createServer(yoga);
  const trivialUrl = `${await listen(trivialServer)}/graphql`;
  cleanups.push({
    what: 'closing the baseline server',
    undo: () => {
      trivialServer.closeAllConnections();
      return new Promise((resolve) => trivialServer.close(resolve));
    },
  });
  const trivialHeaders = { 'content-type': 'application/json', accept: 'application/json' };
  const trivialResponse = await post(trivialUrl, TRIVIAL_BODY, trivialHeaders);
  if (JSON.parse(trivialResponse)?.data?.hello !== 'world') throw new Error(`baseline answered ${trivialResponse}`);

  // 7. Statements per request, before the load: the token's lastUsedAt is fresh (see seed.ts).
  progress(`counting SQL statements over ${SEQUENTIAL} sequential requests each`);
  const capture = (into: string[] | null) => (captured = into);
  const counts = [
    await countStatements(hubUrl, hubHeaders, 10, capture),
    await countStatements(hubUrl, hubHeaders, 50, capture),
  ];

  // 8. Load.
  const counters: Counters = { statements: () => statements, requests: () => hubRequests };
  const trivial = await load(
    { title: 'trivial { hello }', url: trivialUrl, headers: trivialHeaders, body: TRIVIAL_BODY, expectBody: trivialResponse },
    counters,
  );
  const realistic = await load(
    { title: 'realistic runs(first: 50)', url: hubUrl, headers: hubHeaders, body: REALISTIC_BODY, expectBody: realisticResponse },
    counters,
  );
  // Sample check after the load, parsed this time: the hub still answers cleanly.
  await Promise.all(Array.from({ length: 5 }, async () => checkRunsPage(await post(hubUrl, REALISTIC_BODY, hubHeaders), 50)));

  // 9. Report.
  // Other work on the machine (tests, builds) skews the figures; the load average shows it.
  facts.push(`os load    1/5/15-min load average ${loadBefore} at start, ${loadAverage()} at end (${cpus.length} CPUs)`);
  const out: string[] = ['', 'Patchbay GraphQL benchmark', '', ...facts, ''];
  const row = (name: string, m: Measured, bytes: number) => [
    name,
    fmt(m.result.requests.average),
    fmt(m.result.latency.p50, 0), // autocannon's latency histogram has 1 ms resolution
    fmt(m.result.latency.p99, 0),
    fmt(m.result.latency.average, 2),
    m.result.requests.total.toLocaleString('en-US'),
    bytes.toLocaleString('en-US'),
    `${fmt(m.loopBusy * 100, 0)} %`,
    m.problems.length ? 'NO' : 'yes',
  ];
  out.push(
    table([
      ['', 'req/s (avg)', 'p50 ms', 'p99 ms', 'mean ms', 'requests', 'resp bytes', 'server loop busy', 'clean'],
      row('trivial   { hello }', trivial, Buffer.byteLength(trivialResponse)),
      row('realistic runs(first: 50)', realistic, Buffer.byteLength(realisticResponse)),
    ]),
  );
  out.push(
    '(server loop busy: share of the measured run the event loop of the process serving both APIs was busy;',
    ' yoga, Pothos, Prisma and, for PGlite, the database itself all run on it: ~100 % = bound by one core)',
  );
  const rpsRatio = realistic.result.requests.average / trivial.result.requests.average;
  out.push(
    '',
    `realistic / trivial   throughput ${fmt(rpsRatio, 3)} (the trivial request is ${fmt(1 / rpsRatio, 1)}× faster), ` +
      `p50 latency ${fmt(realistic.result.latency.p50 / trivial.result.latency.p50, 1)}×`,
  );

  const [ten, fifty] = counts as [StatementCount, StatementCount];
  const constant = ten.perRequest === fifty.perRequest;
  const underLoad = realistic.statements / (realistic.received || 1);
  const authLookups = fifty.shapes.filter((s) => s.from.startsWith('FROM "public"."ApiToken"')).reduce((n, s) => n + s.perRequest, 0);
  out.push(
    '',
    `SQL statements per request (${SEQUENTIAL} sequential requests each, the token lookup included):`,
    `  runs(first: 10)   ${fmt(ten.perRequest, 2)}`,
    `  runs(first: 50)   ${fmt(fifty.perRequest, 2)}   → ${constant ? 'constant in page size: no N+1' : 'GROWS with page size: N+1!'}`,
    `                    of which ${fmt(authLookups, 2)} is authentication (the bearer token looked up by its SHA-256)`,
    `  under load        ${fmt(underLoad, 2)}   (${realistic.statements.toLocaleString('en-US')} statements / ` +
      `${realistic.received.toLocaleString('en-US')} runs(first: 50) requests the hub received during the measured run)`,
    '',
    'Statements of one runs(first: 50) request (first 80 characters, then from FROM on):',
  );
  for (const { shape, perRequest, from } of fifty.shapes) {
    out.push(`  ${fmt(perRequest, 2)} × ${shape}`, `         … ${from}`);
  }

  const allProblems = [
    ...trivial.problems.map((p) => `trivial: ${p}`),
    ...realistic.problems.map((p) => `realistic: ${p}`),
  ];
  out.push(
    '',
    allProblems.length
      ? `THE FIGURES ARE NOT VALID:\n  ${allProblems.join('\n  ')}`
      : 'checks: every response 200 and byte-identical to the verified one (no GraphQL errors), no socket errors',
    '',
  );
  console.log(out.join('\n'));
  return allProblems.length === 0;
}

try {
  const clean = await main();
  if (!clean) process.exitCode = 1;
} catch (err) {
  // After Ctrl-C, the steps still running fail as things close under them: not worth a report.
  if (!interruptedAt) console.error(`bench:graphql failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  progress('cleaning up');
  await cleanup();
}
