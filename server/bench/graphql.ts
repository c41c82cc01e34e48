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
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '@patchbay/db';
import autocannon from 'autocannon';
import { createSchema, createYoga } from 'graphql-yoga';
import { loadConfig } from '../src/config.ts';
import { startHub } from '../src/hub.ts';
import { createLogger } from '../src/logger.ts';
import { seedBenchData } from './seed.ts';
import {
  cleanups,
  envNumber,
  fmt,
  listen,
  loadAverage,
  machineLine,
  onInterrupt,
  prepareDatabase,
  prepareTemporal,
  progress,
  runBench,
  settle,
  sleep,
  table,
} from './shared.ts';

type AutocannonResult = autocannon.Result;

// ---------------------------------------------------------------------------------------------
// Settings and the two queries
// ---------------------------------------------------------------------------------------------

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

/** The load run under way, stopped first on Ctrl-C so cleaning up isn't starved of CPU. */
let currentLoad: { stop(): void } | undefined;
onInterrupt(() => currentLoad?.stop());

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
// The benchmark
// ---------------------------------------------------------------------------------------------

async function main(): Promise<boolean> {
  const cpus = os.cpus();
  const facts: string[] = [
    machineLine(),
    `load       autocannon, ${CONNECTIONS} connections, ${DURATION} s per target after ${WARMUP} s warm-up, ` +
      (WORKERS > 0 ? `${WORKERS} worker thread(s)` : 'on the server thread'),
  ];
  const loadBefore = loadAverage();

  // 1. Temporal: the api role connects at start (and registers search attributes) even though
  //    this query never starts a workflow.
  const temporal = await prepareTemporal();
  const temporalAddress = temporal.address;
  facts.push(`temporal   ${temporal.description}`);

  // 2. Database, with every SQL statement sent counted (and captured while asked to).
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

await runBench('bench:graphql', main);
