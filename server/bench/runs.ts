// `pnpm bench:runs`: how many durable runs per second does the hub carry end to end — a
// `runAction` mutation, its Temporal workflow, the `http` plugin's `http_request` against a local
// server, the Run marked SUCCEEDED and announced on the activity subscription — next to the same
// HTTP requests made directly with fetch?
//
// Everything is real: a Temporal server (TEMPORAL_ADDRESS, else a dev server started here), the
// database (PostgreSQL from DATABASE_URL, in a scratch database created and dropped here; else an
// in-memory PGlite), the hub in role `all` (api + in-process worker) over HTTP and graphql-ws, and
// a bare Node HTTP server as the API the runs call. The load goes in through GraphQL only; the Run
// rows are read afterwards, to check them and to say where the time went.
//
//   pnpm bench:runs
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres pnpm bench:runs
//   BENCH_RUNS=5000 BENCH_CONCURRENCY=100 pnpm bench:runs
//
// Knobs (env): BENCH_RUNS (measured runs, 1000), BENCH_CONCURRENCY (runs in flight, 50),
// BENCH_WARMUP_RUNS (runs before measuring, 20, at least 1: the first one also proves that the
// subscription delivers), BENCH_HOLD (`run`: a slot stays taken until its run is SUCCEEDED or
// FAILED, a closed loop like the direct-fetch baseline; `mutation`: a slot is freed once
// runAction returns, so runs pile up in Temporal and latency is mostly queueing), BENCH_RUN_TIMEOUT
// (s without a run's event before its Run row is read to tell a slow run from a missed event, 120).
//
// It prints figures and asserts nothing about speed. It exits 1 only when the figures cannot be
// trusted: a mutation error, a run that did not succeed, a SUCCEEDED the subscription did not
// deliver, or a target that did not receive exactly one request with the key per run.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { openDatabase, type Database } from '@patchbay/db';
import { generateKeySpec } from '@patchbay/db/vault';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { startHub } from '../src/hub.ts';
import { createLogger } from '../src/logger.ts';
import { generateToken } from '../src/services/tokens.ts';
import {
  cleanups,
  envNumber,
  fmt,
  listen,
  loadAverage,
  machineLine,
  message,
  onInterrupt,
  prepareDatabase,
  prepareTemporal,
  progress,
  runBench,
  settle,
  sleep,
  table,
} from './shared.ts';

// ---------------------------------------------------------------------------------------------
// Settings and the operations
// ---------------------------------------------------------------------------------------------

const RUNS = Math.round(envNumber('BENCH_RUNS', 1000, 1));
const CONCURRENCY = Math.round(envNumber('BENCH_CONCURRENCY', 50, 1));
const WARMUP_RUNS = Math.round(envNumber('BENCH_WARMUP_RUNS', 20, 1));
const RUN_TIMEOUT_MS = envNumber('BENCH_RUN_TIMEOUT', 120, 1) * 1000;
const HOLD = process.env.BENCH_HOLD || 'run';
if (HOLD !== 'run' && HOLD !== 'mutation') throw new Error(`BENCH_HOLD must be "run" or "mutation" (got "${HOLD}")`);

/** The connection's API key: the target counts the requests that carry it. */
const API_KEY = 'bench-key';
const ITEM_PATH = '/item';
const WARMUP_PATH = '/warmup';

const createConnectionMutation = (baseUrl: string) =>
  `mutation { createConnection(input: { integrationKey: "http", name: "bench", authMode: API_KEY, credentials: { apiKey: "${API_KEY}" }, ` +
  `config: { baseUrl: ${JSON.stringify(baseUrl)} } }) { id status lastError } }`;
const runActionMutation = (path: string) =>
  `mutation($c: ID!, $k: String) { runAction(input: { connectionId: $c, action: "http_request", input: { url: "${path}" }, idempotencyKey: $k }) { id status } }`;
const ACTIVITY = `subscription { activity(filter: { types: ["run.succeeded", "run.failed"] }) { runId type at } }`;

/** Set on Ctrl-C: no new mutation is sent, and the hub stops only once those under way answered. */
let stopping = false;
const mutationsInFlight = new Set<Promise<unknown>>();
onInterrupt(() => (stopping = true));

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

function stats(values: number[]): Stats {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sum / (sorted.length || 1), max: sorted.at(-1) ?? NaN };
}

/** A statement without its column lists and parameters: `SELECT … FROM "public"."Run" WHERE …`. */
function statementShape(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  const verb = flat.split(' ', 1)[0]!.toUpperCase();
  const table = /(?:FROM|INTO|UPDATE) ("?[\w]+"?\."?[\w]+"?|"?\w+"?)/i.exec(flat)?.[1] ?? '';
  const where = / WHERE (.*)$/i.exec(flat)?.[1]?.replace(/\$\d+/g, '?').replace(/"public"\./g, '') ?? '';
  const shape = table
    ? `${verb} ${table.replace(/"public"\./, '')}${where ? ` WHERE ${where}` : ''}`
    : flat.replace(/\$\d+/g, '?'); // SELECT pg_notify(?, ?)
  return shape.length > 130 ? `${shape.slice(0, 129)}…` : shape;
}

/** Runs `task(0…count-1)` with at most `concurrency` of them at a time. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) await task(i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** CPU the whole process used over a span, in cores (1.0 = one core busy all the time). */
function cpuMeter() {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const start = performance.now();
  return () => {
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    return { cpuMs, cores: cpuMs / (performance.now() - start), loopBusy: performance.eventLoopUtilization(elu).utilization };
  };
}

interface GqlResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function graphqlClient(url: string, token: string) {
  const headers = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` };
  return async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const text = await res.text();
    let body: GqlResponse<T>;
    try {
      body = JSON.parse(text) as GqlResponse<T>;
    } catch {
      throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 300)}`);
    }
    if (body.errors?.length) throw new Error(`GraphQL errors (HTTP ${res.status}): ${JSON.stringify(body.errors).slice(0, 500)}`);
    if (res.status !== 200 || !body.data) throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 300)}`);
    return body.data;
  };
}

// ---------------------------------------------------------------------------------------------
// The target: a bare HTTP server that counts what it receives
// ---------------------------------------------------------------------------------------------

interface TargetCounts {
  /** GET /item with `Authorization: Bearer bench-key`. */
  itemWithKey: number;
  itemWithoutKey: number;
  warmup: number;
  other: number;
}

async function startTarget(): Promise<{ url: string; counts: TargetCounts }> {
  const counts: TargetCounts = { itemWithKey: 0, itemWithoutKey: 0, warmup: 0, other: 0 };
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '').split('?')[0];
    if (path === ITEM_PATH) {
      if (req.headers.authorization === `Bearer ${API_KEY}`) counts.itemWithKey++;
      else counts.itemWithoutKey++;
    } else if (path === WARMUP_PATH) counts.warmup++;
    else counts.other++;
    const body = JSON.stringify({ ok: true, n: ++n });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const url = await listen(server);
  cleanups.push({
    what: 'closing the target server',
    undo: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  });
  return { url, counts };
}

// ---------------------------------------------------------------------------------------------
// Completions: the activity subscription, with the Run row as a fallback that marks a miss
// ---------------------------------------------------------------------------------------------

interface Completion {
  type: string;
  /** performance.now() when the event arrived (or when the fallback read the row). */
  at: number;
  via: 'subscription' | 'database' | 'timeout';
}

class Completions {
  private readonly seen = new Map<string, Completion>();
  private readonly waiting = new Map<string, (c: Completion) => void>();
  duplicates = 0;
  errors: string[] = [];
  private dispose?: () => void;
  private client?: ReturnType<typeof createClient>;

  constructor(private readonly db: Database) {}

  /** Subscribes; resolves once the server acknowledged the connection (not yet the subscription: see the warm-up). */
  async open(wsUrl: string, token: string): Promise<void> {
    let connected!: () => void;
    let failed!: (err: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => ((connected = resolve), (failed = reject)));
    this.client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      on: { connected: () => connected(), closed: (event) => failed(new Error(`graphql-ws closed: ${JSON.stringify(event)}`)) },
    });
    this.dispose = this.client.subscribe<{ activity: { runId: string | null; type: string; at: string } }>(
      { query: ACTIVITY },
      {
        next: (result) => {
          const at = performance.now();
          if (result.errors?.length) return void this.errors.push(JSON.stringify(result.errors).slice(0, 300));
          const event = result.data?.activity;
          if (!event?.runId) return;
          if (this.seen.has(event.runId)) return void this.duplicates++;
          const completion: Completion = { type: event.type, at, via: 'subscription' };
          this.seen.set(event.runId, completion);
          this.waiting.get(event.runId)?.(completion);
        },
        error: (err) => this.errors.push(message(Array.isArray(err) ? JSON.stringify(err) : err)),
        complete: () => this.errors.push('the activity subscription completed'),
      },
    );
    await ready;
  }

  /**
   * When run `id` (idempotency key `key`) finished. Every RUN_TIMEOUT_MS without its event the
   * Run row is read: still going → keep waiting (at most 10 periods); finished → the event gets
   * 10 s more, then counts as missed and the row's status is taken.
   */
  wait(id: string, key: string): Promise<Completion> {
    const known = this.seen.get(id);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout;
      const done = (c: Completion) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(c);
      };
      let periods = 0;
      const check = async () => {
        const row = await this.db.prisma.run.findFirst({ where: { idempotencyKey: key }, select: { status: true } }).catch(() => null);
        if (this.seen.has(id)) return done(this.seen.get(id)!);
        const status = row?.status;
        if (status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED') {
          timer = setTimeout(() => done({ type: `run.${status.toLowerCase()}`, at: performance.now(), via: 'database' }), 10_000);
        } else if (++periods < 10) {
          timer = setTimeout(check, RUN_TIMEOUT_MS);
        } else {
          done({ type: `still ${status ?? 'missing'}`, at: performance.now(), via: 'timeout' });
        }
      };
      timer = setTimeout(check, RUN_TIMEOUT_MS);
      this.waiting.set(id, done);
    });
  }

  async close() {
    this.dispose?.();
    await this.client?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The phases
// ---------------------------------------------------------------------------------------------

interface RunSample {
  key: string;
  /** performance.now() / Date.now() just before the mutation was sent. */
  sentAt: number;
  sentWall: number;
  returnedAt?: number;
  id?: string;
  completion?: Completion;
  error?: string;
}

interface RunsPhase {
  samples: RunSample[];
  wallMs: number;
  cpuMs: number;
  cores: number;
  loopBusy: number;
}

async function runPhase(
  count: number,
  keyPrefix: string,
  path: string,
  gql: ReturnType<typeof graphqlClient>,
  connectionId: string,
  completions: Completions,
): Promise<RunsPhase> {
  const query = runActionMutation(path);
  const samples: RunSample[] = [];
  const pending: Promise<void>[] = [];
  const meter = cpuMeter();
  await pool(count, CONCURRENCY, async (i) => {
    if (stopping) return;
    const sample: RunSample = { key: `${keyPrefix}-${i}`, sentAt: 0, sentWall: 0 };
    samples[i] = sample;
    sample.sentWall = Date.now();
    sample.sentAt = performance.now();
    try {
      const request = gql<{ runAction: { id: string; status: string } }>(query, { c: connectionId, k: sample.key });
      mutationsInFlight.add(request);
      const data = await request.finally(() => mutationsInFlight.delete(request));
      sample.returnedAt = performance.now();
      sample.id = data.runAction.id;
    } catch (err) {
      sample.error = message(err);
      return;
    }
    const finished = completions.wait(sample.id, sample.key).then((c) => void (sample.completion = c));
    if (HOLD === 'run') await finished;
    else pending.push(finished);
  });
  await Promise.all(pending);
  const { cpuMs, cores, loopBusy } = meter();
  const first = Math.min(...samples.map((s) => s.sentAt));
  const last = Math.max(...samples.map((s) => s.completion?.at ?? s.returnedAt ?? s.sentAt));
  return { samples, wallMs: last - first, cpuMs, cores, loopBusy };
}

interface DirectPhase {
  latencies: number[];
  wallMs: number;
  errors: string[];
  cpuMs: number;
  cores: number;
  loopBusy: number;
}

async function directPhase(count: number, url: string): Promise<DirectPhase> {
  const latencies: number[] = [];
  const errors: string[] = [];
  const headers = { accept: 'application/json', authorization: `Bearer ${API_KEY}` };
  const meter = cpuMeter();
  const start = performance.now();
  let end = start;
  await pool(count, CONCURRENCY, async () => {
    const sent = performance.now();
    try {
      const res = await fetch(url, { headers });
      const body = (await res.json()) as { ok?: boolean };
      if (res.status !== 200 || body.ok !== true) throw new Error(`HTTP ${res.status} ${JSON.stringify(body)}`);
      end = Math.max(end, performance.now());
      latencies.push(performance.now() - sent);
    } catch (err) {
      errors.push(message(err));
    }
  });
  return { latencies, wallMs: end - start, errors, ...meter() };
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

async function main(): Promise<boolean> {
  const cpus = os.cpus();
  const facts: string[] = [
    machineLine(),
    `load       ${RUNS.toLocaleString('en-US')} runs, ${CONCURRENCY} in flight ` +
      (HOLD === 'run' ? '(a slot is held until its run SUCCEEDED)' : '(a slot is freed when runAction returns)') +
      `, after ${WARMUP_RUNS} warm-up runs; load generator on the hub's own thread`,
  ];
  const loadBefore = loadAverage();

  // 1. Temporal.
  const temporal = await prepareTemporal();
  facts.push(`temporal   ${temporal.description}`);

  // 2. Database, with every SQL statement sent counted.
  const { target, description } = await prepareDatabase();
  facts.push(`database   ${description}`);
  let statements = 0;
  let shapes: Map<string, number> | null = null;
  progress(`opening ${target.kind === 'pglite' ? 'PGlite' : 'PostgreSQL'}`);
  const db = await openDatabase(target, {
    onQuery: (sql) => {
      statements++;
      if (shapes) {
        const shape = statementShape(sql);
        shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
      }
    },
  });
  cleanups.push({ what: 'closing the database', undo: () => db.close() });

  // 3. The hub: api and an in-process worker on a task queue of its own. The config comes only
  //    from what is given here (a generated encryption key: nothing is written under .data/).
  progress('starting the hub (role all, migrating, bundling the workflows)');
  const token = generateToken();
  const taskQueue = `bench-runs-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    NODE_ENV: 'development',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PATCHBAY_ENCRYPTION_KEYS: generateKeySpec('bench'),
    PATCHBAY_BOOTSTRAP_TOKEN: token,
    // The measured provider is a local server: let the SSRF guard allow loopback.
    PATCHBAY_ALLOW_PRIVATE_NETWORK: 'true',
    DATABASE_URL: target.kind === 'postgres' ? target.url : undefined,
  });
  const hubStarted = performance.now();
  const running = await startHub({
    config: { ...config, TEMPORAL_ADDRESS: temporal.address },
    role: 'all',
    db,
    logger: createLogger('warn'),
    migrate: true,
  });
  cleanups.push({
    what: 'stopping the hub',
    undo: async () => {
      // After Ctrl-C: a workflow start still under way when the hub closes its Temporal client
      // is retried on the closed channel, and that throws out of a timer (the process dies with
      // the scratch database still there). Let the mutations answer first.
      await Promise.race([Promise.allSettled([...mutationsInFlight]), sleep(15_000)]);
      await running.stop();
      await settle(() => statements);
    },
  });
  facts.push(
    `hub        role all (api + in-process worker), task queue ${taskQueue}, started in ${fmt((performance.now() - hubStarted) / 1000, 1)} s`,
  );
  const graphqlUrl = `${running.app!.url}/graphql`;
  const gql = graphqlClient(graphqlUrl, token);

  // 4. The API the runs call.
  const targetServer = await startTarget();
  facts.push(`target     bare node:http at ${targetServer.url}, GET ${ITEM_PATH} → 200 {"ok":true,"n":…}`);

  // 5. The connection, through GraphQL.
  const { createConnection } = await gql<{ createConnection: { id: string; status: string; lastError: string | null } }>(
    createConnectionMutation(targetServer.url),
    {},
  );
  if (createConnection.status !== 'ACTIVE') {
    throw new Error(`the connection is ${createConnection.status}, not ACTIVE: ${createConnection.lastError ?? ''}`);
  }
  progress(`connection ${createConnection.id} ACTIVE`);

  // 6. The subscription, then warm-up runs: the first one's SUCCEEDED proves it delivers.
  const completions = new Completions(db);
  cleanups.push({ what: 'closing the subscription', undo: () => completions.close() });
  await completions.open(graphqlUrl.replace(/^http/, 'ws'), token);
  await sleep(100);
  const runPrefix = `bench-${randomBytes(4).toString('hex')}`;
  progress(`warming up: ${WARMUP_RUNS} runs`);
  const warm = await runPhase(WARMUP_RUNS, `${runPrefix}-warm`, WARMUP_PATH, gql, createConnection.id, completions);
  const warmProblems = warm.samples.filter((s) => s.error || s.completion?.via !== 'subscription' || s.completion.type !== 'run.succeeded');
  if (warmProblems.length) {
    const s = warmProblems[0]!;
    throw new Error(`${warmProblems.length} of ${WARMUP_RUNS} warm-up runs went wrong, e.g. ${s.key}: ${s.error ?? JSON.stringify(s.completion)}`);
  }

  // 7. The baseline first (so nothing the runs leave behind competes with it), warmed up too.
  progress(`direct fetch: ${RUNS} requests, ${CONCURRENCY} at a time`);
  await directPhase(CONCURRENCY, `${targetServer.url}${WARMUP_PATH}`);
  const beforeDirect = { ...targetServer.counts };
  const direct = await directPhase(RUNS, `${targetServer.url}${ITEM_PATH}`);
  const directReceived = targetServer.counts.itemWithKey - beforeDirect.itemWithKey;

  // 8. The measured runs.
  progress(`runs: ${RUNS} runAction calls, ${CONCURRENCY} in flight`);
  const beforeRuns = { ...targetServer.counts };
  const statementsBefore = statements;
  shapes = new Map();
  const runs = await runPhase(RUNS, runPrefix + '-run', ITEM_PATH, gql, createConnection.id, completions);
  const statementsDuring = statements - statementsBefore;
  const runShapes = [...shapes].sort((a, b) => b[1] - a[1]);
  shapes = null;
  await sleep(500); // a duplicate request (a retried activity) would land now
  const received = {
    withKey: targetServer.counts.itemWithKey - beforeRuns.itemWithKey,
    withoutKey: targetServer.counts.itemWithoutKey - beforeRuns.itemWithoutKey,
    other: targetServer.counts.other - beforeRuns.other,
  };

  // 9. The Run rows: status, attempts, each its own response, and timestamps for the breakdown.
  const rows = await db.prisma.run.findMany({
    where: { idempotencyKey: { startsWith: `${runPrefix}-run-` } },
    select: { idempotencyKey: true, status: true, attempts: true, output: true, startedAt: true, finishedAt: true },
  });
  const byKey = new Map(rows.map((row) => [row.idempotencyKey!, row]));
  const statusCounts: Record<string, number> = {};
  for (const row of rows) statusCounts[row.status] = (statusCounts[row.status] ?? 0) + 1;
  const ns = new Set<number>();
  let badOutputs = 0;
  for (const row of rows) {
    const output = row.output as { status?: number; body?: { ok?: boolean; n?: number } } | null;
    if (output?.status !== 200 || output.body?.ok !== true || typeof output.body.n !== 'number') badOutputs++;
    else ns.add(output.body.n);
  }
  const retried = rows.filter((row) => row.attempts > 1).length;

  // 10. Figures.
  const ok = runs.samples.filter((s) => s.completion?.type === 'run.succeeded');
  const e2e = stats(ok.map((s) => s.completion!.at - s.sentAt));
  const mutation = stats(runs.samples.filter((s) => s.returnedAt !== undefined).map((s) => s.returnedAt! - s.sentAt));
  const fromRows = (pick: (row: (typeof rows)[number], s: RunSample) => number | undefined) =>
    stats(runs.samples.flatMap((s) => {
      const row = byKey.get(s.key);
      const value = row ? pick(row, s) : undefined;
      return value === undefined ? [] : [value];
    }));
  const toStarted = fromRows((row, s) => (row.startedAt ? row.startedAt.getTime() - s.sentWall : undefined));
  const startedToFinished = fromRows((row) => (row.startedAt && row.finishedAt ? row.finishedAt.getTime() - row.startedAt.getTime() : undefined));
  const toFinished = fromRows((row, s) => (row.finishedAt ? row.finishedAt.getTime() - s.sentWall : undefined));
  const finishedToSeen = fromRows((row, s) =>
    row.finishedAt && s.completion?.via === 'subscription' ? performance.timeOrigin + s.completion.at - row.finishedAt.getTime() : undefined,
  );
  const directStats = stats(direct.latencies);
  const runsPerSecond = (ok.length / runs.wallMs) * 1000;
  const directPerSecond = (direct.latencies.length / direct.wallMs) * 1000;

  // 11. Checks: anything here makes the figures worthless.
  const problems: string[] = [];
  const mutationErrors = runs.samples.filter((s) => s.error);
  if (mutationErrors.length) problems.push(`${mutationErrors.length} runAction mutations failed, e.g. ${mutationErrors[0]!.error}`);
  const notSucceeded = runs.samples.filter((s) => !s.error && s.completion?.type !== 'run.succeeded');
  if (notSucceeded.length) {
    const kinds: Record<string, number> = {};
    for (const s of notSucceeded) kinds[s.completion?.type ?? 'none'] = (kinds[s.completion?.type ?? 'none'] ?? 0) + 1;
    problems.push(`${notSucceeded.length} runs did not succeed: ${JSON.stringify(kinds)}`);
  }
  const missed = runs.samples.filter((s) => s.completion && s.completion.via !== 'subscription').length;
  if (missed) problems.push(`${missed} runs' completion was not delivered by the subscription (Run row finished, no event 10 s later; or still not finished)`);
  if (completions.errors.length) problems.push(`subscription errors: ${completions.errors.slice(0, 3).join('; ')}`);
  if (completions.duplicates) problems.push(`${completions.duplicates} duplicate terminal events on the subscription`);
  if (rows.length !== RUNS) problems.push(`${rows.length} Run rows for ${RUNS} idempotency keys`);
  if ((statusCounts.SUCCEEDED ?? 0) !== RUNS) problems.push(`Run rows by status: ${JSON.stringify(statusCounts)}`);
  if (badOutputs) problems.push(`${badOutputs} runs have an output other than 200 {"ok":true,"n":…}`);
  if (ns.size !== rows.length - badOutputs) problems.push(`only ${ns.size} distinct responses among ${rows.length - badOutputs} runs`);
  if (received.withKey !== RUNS) problems.push(`the target received ${received.withKey} ${ITEM_PATH} requests with the key for ${RUNS} runs`);
  if (received.withoutKey) problems.push(`the target received ${received.withoutKey} ${ITEM_PATH} requests without the key`);
  if (received.other) problems.push(`the target received ${received.other} requests for other paths`);
  if (direct.errors.length) problems.push(`${direct.errors.length} direct fetches failed, e.g. ${direct.errors[0]}`);
  if (directReceived !== RUNS) problems.push(`the target received ${directReceived} direct requests for ${RUNS} sent`);

  // 12. Report.
  facts.push(`os load    1/5/15-min load average ${loadBefore} at start, ${loadAverage()} at end (${cpus.length} CPUs)`);
  const out: string[] = ['', 'Patchbay runs benchmark (runAction → Temporal → http_request → SUCCEEDED)', '', ...facts, ''];
  out.push(
    table([
      ['', 'per s', 'p50 ms', 'p99 ms', 'mean ms', 'max ms', 'done', 'wall s', 'process CPU', 'CPU ms each', 'loop busy'],
      [
        'runs end to end (mutation → SUCCEEDED seen)',
        fmt(runsPerSecond),
        fmt(e2e.p50),
        fmt(e2e.p99),
        fmt(e2e.mean),
        fmt(e2e.max),
        `${ok.length.toLocaleString('en-US')}/${RUNS.toLocaleString('en-US')}`,
        fmt(runs.wallMs / 1000, 2),
        `${fmt(runs.cores, 2)} cores`,
        fmt(runs.cpuMs / RUNS, 1),
        `${fmt(runs.loopBusy * 100, 0)} %`,
      ],
      ['  runAction mutation (until it returned)', '', fmt(mutation.p50), fmt(mutation.p99), fmt(mutation.mean), fmt(mutation.max), '', '', '', '', ''],
      [
        'direct fetch (same requests, same target)',
        fmt(directPerSecond),
        fmt(directStats.p50, 2),
        fmt(directStats.p99, 2),
        fmt(directStats.mean, 2),
        fmt(directStats.max, 2),
        `${direct.latencies.length.toLocaleString('en-US')}/${RUNS.toLocaleString('en-US')}`,
        fmt(direct.wallMs / 1000, 2),
        `${fmt(direct.cores, 2)} cores`,
        fmt(direct.cpuMs / RUNS, 2),
        `${fmt(direct.loopBusy * 100, 0)} %`,
      ],
    ]),
  );
  out.push(
    `(runs/s: succeeded runs over the wall clock from the first mutation sent to the last SUCCEEDED seen on the`,
    ` subscription; process CPU (all its threads, also per run/request) and loop busy: this one process runs the api,`,
    ` the worker (activities on the loop, workflows in worker threads), the target and the load generator, and for`,
    ` PGlite the database; the Temporal server and PostgreSQL are other processes, on the same machine)`,
    '',
    `runs/s ÷ direct req/s   ${fmt(runsPerSecond / directPerSecond, 4)} (direct fetch moves ${fmt(directPerSecond / runsPerSecond, 0)}× the runs' rate), ` +
      `p50 latency ${fmt(e2e.p50 / directStats.p50, 0)}× the direct one`,
    '',
    'Where a run\'s time goes (from the Run rows; their timestamps have 1 ms resolution):',
    table([
      ['', 'p50 ms', 'p99 ms', 'mean ms', 'max ms'],
      ...([
        ['mutation sent → Run.startedAt (queued, workflow task, markRunStarted)', toStarted],
        ['Run.startedAt → Run.finishedAt (executeRun: the request, output saved)', startedToFinished],
        ['mutation sent → Run.finishedAt', toFinished],
        ['Run.finishedAt → SUCCEEDED seen on the subscription', finishedToSeen],
      ] as const).map(([name, s]) => [`  ${name}`, fmt(s.p50), fmt(s.p99), fmt(s.mean), fmt(s.max)]),
    ]),
    '',
    `SQL statements per run   ${fmt(statementsDuring / RUNS, 1)} (${statementsDuring.toLocaleString('en-US')} statements during the measured runs: ` +
      `api, worker activities and the subscription's reads)`,
    `retried runs             ${retried} (attempts > 1)`,
    '',
    'Statements during the measured runs, per run, by shape (statement text up to its WHERE, shortened):',
    ...runShapes.slice(0, 15).map(([shape, count]) => `  ${fmt(count / RUNS, 2).padStart(6)} × ${shape}`),
    ...(runShapes.length > 15 ? [`  (${runShapes.length - 15} more shapes, ${fmt(runShapes.slice(15).reduce((n, [, c]) => n + c, 0) / RUNS, 2)} per run together)`] : []),
    '',
    problems.length
      ? `THE FIGURES ARE NOT VALID:\n  ${problems.join('\n  ')}`
      : `checks: ${RUNS} mutations answered without errors, ${RUNS} Run rows SUCCEEDED (0 FAILED), each seen once on the ` +
          `subscription, ${RUNS} distinct responses stored; the target received exactly ${RUNS} ${ITEM_PATH} requests with the key from the runs ` +
          `and ${RUNS} from the direct fetches`,
    '',
  );
  console.log(out.join('\n'));
  return problems.length === 0;
}

await runBench('bench:runs', main);
