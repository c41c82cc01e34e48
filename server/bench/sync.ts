// `pnpm bench:sync`: how fast does the sync engine pull a paginated API into PostgreSQL?
// 100,000 records from a local fake API (100 per page, token pagination as a ChiefOnboarding
// sync-users manifest describes it) through the real path: registerManifest + connectManifest +
// startSync over GraphQL → syncWorkflow on Temporal → syncPages activities that fetch page after
// page and commit each with one statement (multi-row INSERT … ON CONFLICT … WHERE hash IS
// DISTINCT FROM, the checkpoint and the counts).
// Then a second run over the same, unchanged data, which must write 0 rows.
//
//   pnpm bench:sync
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres pnpm bench:sync
//
// Knobs (env): BENCH_RECORDS (100000), BENCH_PAGE_SIZE (100), BENCH_TIMEOUT (s per run, 600),
// BENCH_WORKER_NODE_FLAGS (PostgreSQL only: Node flags for the worker process instead of the
// default ones of `patchbay start worker`, e.g. "--max-old-space-size=512"; same as setting
// PATCHBAY_WORKER_NODE_FLAGS. The flags the worker ran with are printed).
//
// Prints records/s, pages/s and the peak RSS of the worker. On PostgreSQL the worker is a process
// of its own, started as production starts one (`patchbay start worker`, which runs
// `server/src/main.ts worker` with the worker's Node flags; its VmHWM read from /proc); on PGlite, which one
// process must own, it runs in this process with the api and the fake API (so the worker's own
// figure is at most the one printed). Exits 1 only
// when the figures cannot be trusted: records missing or duplicated, or the second run wrote rows.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '@patchbay/db';
import { generateKeySpec } from '@patchbay/db/vault';
import { loadConfig, repoRoot } from '../src/config.ts';
import { startHub } from '../src/hub.ts';
import { createLogger } from '../src/logger.ts';
import { generateToken } from '../src/services/tokens.ts';
import { cleanups, envNumber, fmt, listen, loadAverage, machineLine, prepareDatabase, prepareTemporal, progress, runBench, sleep, startBenchHub, table } from './shared.ts';

const RECORDS = Math.round(envNumber('BENCH_RECORDS', 100_000, 1));
const PAGE_SIZE = Math.round(envNumber('BENCH_PAGE_SIZE', 100, 1));
const TIMEOUT_MS = envNumber('BENCH_TIMEOUT', 600, 1) * 1000;
const TARGET_RECORDS_PER_S = 5_000;
const TARGET_RSS_MB = 300;

async function gql<T>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL (HTTP ${res.status}): ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

/** A directory API: `{ users: [...], nextPageToken }`, the token being the next offset. */
function startFakeApi(): Promise<{ url: string; pages: () => number }> {
  let pages = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== 'Bearer bench-key') {
      res.writeHead(401).end();
      return;
    }
    pages++;
    const start = Number(url.searchParams.get('pageToken') ?? '0');
    const users = [];
    for (let i = start; i < Math.min(start + PAGE_SIZE, RECORDS); i++) {
      users.push({ id: `u${i}`, primaryEmail: `user${i}@bench.example`, name: { givenName: `Given ${i}`, familyName: `Family ${i % 977}` }, orgUnitPath: `/team-${i % 31}`, suspended: i % 13 === 0 });
    }
    const body = JSON.stringify({ kind: 'admin#directory#users', users, ...(start + PAGE_SIZE < RECORDS ? { nextPageToken: String(start + PAGE_SIZE) } : {}) });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  cleanups.push({ what: 'stopping the fake API', undo: () => new Promise((r) => server.close(r)) });
  return listen(server).then((url) => ({ url, pages: () => pages }));
}

const manifest = {
  execute: [{ url: `https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer&maxResults=${PAGE_SIZE}`, method: 'GET' }],
  headers: { Authorization: 'Bearer {{ KEY }}' },
  action: 'create',
  data_from: 'users',
  data_structure: { email: 'primaryEmail', first_name: 'name.givenName', last_name: 'name.familyName', team: 'orgUnitPath', suspended: 'suspended' },
  next_page: `https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer&maxResults=${PAGE_SIZE}&pageToken={{ NEXT_PAGE_TOKEN }}`,
  next_page_token_from: 'nextPageToken',
  amount_pages_to_fetch: Math.ceil(RECORDS / PAGE_SIZE) + 1,
  initial_data_form: [{ id: 'KEY', name: 'Directory API key' }],
};

runBench('bench:sync', async () => {
  const loadBefore = loadAverage();
  const facts = [machineLine(), `load       ${RECORDS.toLocaleString('en-US')} records, ${PAGE_SIZE} per page (${Math.ceil(RECORDS / PAGE_SIZE).toLocaleString('en-US')} pages), token pagination`];
  const { running, token, db, workerPeakMb } = process.env.DATABASE_URL ? await startSplitHub(facts) : await inProcess(facts);
  const api = await startFakeApi();
  const graphqlUrl = `${running.app!.url}/graphql`;

  await gql(graphqlUrl, token, `mutation($input: RegisterManifestInput!) { registerManifest(input: $input) { key } }`, { input: { key: 'bench-directory', displayName: 'Bench directory', manifest } });
  const { connectManifest } = await gql<{ connectManifest: { id: string } }>(graphqlUrl, token, `mutation($input: ConnectManifestInput!) { connectManifest(input: $input) { id } }`, {
    input: { integrationKey: 'bench-directory', name: 'Bench', initialData: { KEY: 'bench-key' }, config: { hostOverrides: { 'admin.googleapis.com': api.url } } },
  });

  // Peak RSS: the OS's high-water mark for this process (maxRSS, KiB), sampled to see the curve too.
  let sampledPeak = 0;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss())), 100);
  cleanups.push({ what: 'stopping the RSS sampler', undo: async () => clearInterval(sampler) });

  async function syncOnce(label: string) {
    const pagesBefore = api.pages();
    const started = performance.now();
    const { startSync } = await gql<{ startSync: { id: string } }>(graphqlUrl, token, `mutation($id: ID!) { startSync(connectionId: $id, sync: "users") { id } }`, { id: connectManifest.id });
    const runId = Buffer.from(startSync.id, 'base64').toString('utf8').split(':')[1]!;
    const deadline = Date.now() + TIMEOUT_MS;
    let lastReport = Date.now();
    for (;;) {
      const run = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
      if (run.status === 'SUCCEEDED' || run.status === 'FAILED' || run.status === 'CANCELLED') {
        if (run.status !== 'SUCCEEDED') throw new Error(`${label} run ${run.status}: ${run.error}`);
        const wallMs = performance.now() - started;
        const written = await db.prisma.syncRecord.count({ where: { lastRunId: runId } });
        return { wallMs, output: run.output as { pages: number; added: number; updated: number; deleted: number }, pages: api.pages() - pagesBefore, written };
      }
      if (Date.now() > deadline) throw new Error(`${label} run not finished after ${TIMEOUT_MS / 1000} s`);
      if (Date.now() - lastReport > 5_000) {
        const state = await db.prisma.syncState.findFirst({ where: { currentRunId: runId } });
        progress(`${label}: ${state?.pages ?? '?'} pages, ${((state?.added ?? 0) + (state?.updated ?? 0)).toLocaleString('en-US')} rows written so far`);
        lastReport = Date.now();
      }
      await sleep(50);
    }
  }

  progress(`first sync: ${RECORDS.toLocaleString('en-US')} records`);
  const first = await syncOnce('first sync');
  progress('second sync: the same data, unchanged');
  const second = await syncOnce('second sync');
  clearInterval(sampler);
  const peakMb = workerPeakMb();
  const stored = await db.prisma.syncRecord.count();
  const distinct = await db.prisma.syncRecord.groupBy({ by: ['externalId'], _count: true }).then((g) => g.length);

  const problems: string[] = [];
  if (first.output.added !== RECORDS) problems.push(`the first run added ${first.output.added}, expected ${RECORDS}`);
  if (stored !== RECORDS || distinct !== RECORDS) problems.push(`${stored} rows stored (${distinct} distinct), expected ${RECORDS}`);
  if (second.written !== 0 || second.output.added + second.output.updated + second.output.deleted !== 0) problems.push(`the second run wrote ${second.written} rows (${JSON.stringify(second.output)})`);

  const rate = (n: number, ms: number) => (n / ms) * 1000;
  const firstRps = rate(RECORDS, first.wallMs);
  facts.push(`os load    1/5/15-min load average ${loadBefore} at start, ${loadAverage()} at end (${os.cpus().length} CPUs)`);
  console.log(
    [
      '',
      'Patchbay sync benchmark (startSync → syncWorkflow → syncPages activities: per page, fetch + one upsert statement with the checkpoint → PostgreSQL)',
      '',
      ...facts,
      '',
      table([
        ['', 'records/s', 'pages/s', 'pages', 'rows written', 'wall s'],
        ['first run (all new)', fmt(firstRps), fmt(rate(first.pages, first.wallMs)), String(first.pages), first.written.toLocaleString('en-US'), fmt(first.wallMs / 1000, 2)],
        ['second run (unchanged)', fmt(rate(RECORDS, second.wallMs)), fmt(rate(second.pages, second.wallMs)), String(second.pages), second.written.toLocaleString('en-US'), fmt(second.wallMs / 1000, 2)],
      ]),
      '',
      `records/s      ${fmt(firstRps)}   target ≥ ${TARGET_RECORDS_PER_S.toLocaleString('en-US')}   ${firstRps >= TARGET_RECORDS_PER_S ? 'PASS' : 'MISS'}`,
      `peak RSS       ${fmt(peakMb)} MB (${process.env.DATABASE_URL ? 'the worker process, VmHWM' : `this process: worker + api + fake API; sampled peak ${fmt(sampledPeak / 1024 / 1024)} MB`})   target < ${TARGET_RSS_MB} MB   ${peakMb < TARGET_RSS_MB ? 'PASS' : 'MISS'}`,
      `second run     ${second.written} rows written   target 0   ${second.written === 0 ? 'PASS' : 'MISS'}`,
      '',
      problems.length ? `THE FIGURES ARE NOT VALID:\n  ${problems.join('\n  ')}` : `checks: ${RECORDS.toLocaleString('en-US')} records stored once each; the second run rewrote none`,
      '',
    ].join('\n'),
  );
  return problems.length === 0;
});

async function inProcess(facts: string[]) {
  const hub = await startBenchHub('sync', facts);
  facts.push('worker     in this process (PGlite is owned by one process)');
  return { ...hub, workerPeakMb: () => process.resourceUsage().maxRSS / 1024 };
}

/** PostgreSQL: the api here, the worker in a process of its own whose peak RSS is measured. */
async function startSplitHub(facts: string[]) {
  const temporal = await prepareTemporal();
  facts.push(`temporal   ${temporal.description}`);
  const { target, description } = await prepareDatabase();
  facts.push(`database   ${description}`);
  if (target.kind !== 'postgres') throw new Error('unreachable');
  const db = await openDatabase(target);
  cleanups.push({ what: 'closing the database', undo: () => db.close() });
  const token = generateToken();
  const env = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `bench-sync-${randomBytes(4).toString('hex')}`,
    PATCHBAY_ENCRYPTION_KEYS: generateKeySpec('bench'),
    PATCHBAY_ALLOW_PRIVATE_NETWORK: 'true',
    DATABASE_URL: target.url,
  };
  const config = loadConfig({ ...env, PORT: '0', PATCHBAY_BOOTSTRAP_TOKEN: token });
  const running = await startHub({ config: { ...config, TEMPORAL_ADDRESS: temporal.address }, role: 'api', db, logger: createLogger('warn'), migrate: true });
  cleanups.push({ what: 'stopping the api', undo: () => running.stop() });
  const flagsOverride = process.env.BENCH_WORKER_NODE_FLAGS ?? process.env.PATCHBAY_WORKER_NODE_FLAGS;
  const worker = spawn(process.execPath, [path.join(repoRoot, 'server/bin/patchbay.mjs'), 'start', 'worker'], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: '0', PATCHBAY_BOOTSTRAP_TOKEN: '', ...(flagsOverride === undefined ? {} : { PATCHBAY_WORKER_NODE_FLAGS: flagsOverride }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Timing starts once the worker polls: its start-up is not sync throughput.
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    worker.stdout!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      seen += String(chunk);
      if (seen.includes('is running')) resolve();
    });
    worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready`)));
  });
  // `patchbay start` is a launcher: the worker is its child process.
  const workerPid = Number(readFileSync(`/proc/${worker.pid}/task/${worker.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  if (!workerPid) throw new Error('could not find the worker process under `patchbay start worker`');
  const argv = readFileSync(`/proc/${workerPid}/cmdline`, 'utf8').split('\0');
  const nodeFlags = argv.slice(1, argv.indexOf('--import'));
  const arenas = /(?:^|\0)MALLOC_ARENA_MAX=([^\0]*)/.exec(readFileSync(`/proc/${workerPid}/environ`, 'utf8'))?.[1] ?? 'unset';
  facts.push(`worker     Node flags: ${nodeFlags.join(' ') || 'none'} (${flagsOverride === undefined ? 'the default of `patchbay start worker`' : 'PATCHBAY_WORKER_NODE_FLAGS / BENCH_WORKER_NODE_FLAGS'}); MALLOC_ARENA_MAX ${arenas}`);
  let lastHwmKb = 0;
  const readHwm = () => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${workerPid}/status`, 'utf8'))?.[1] ?? 0);
      if (kb) lastHwmKb = kb;
    } catch {
      // the process is gone: keep the last reading
    }
    return lastHwmKb / 1024;
  };
  cleanups.push({
    what: 'stopping the worker',
    undo: async () => {
      readHwm();
      if (worker.exitCode === null) {
        worker.kill('SIGTERM');
        await new Promise((r) => worker.once('exit', r));
      }
    },
  });
  const idleMb = readHwm();
  facts.push(`worker     a separate process (patchbay start worker → server/src/main.ts worker), pid ${workerPid}; ${fmt(idleMb)} MB peak RSS when ready, before any sync`);
  return { running, token, db, workerPeakMb: readHwm };
}
