// `pnpm bench:deliver`: how fast do outgoing webhooks leave the hub? 2,000 activity events
// (recordActivity, as the hub itself records them) fan out to one subscription as PENDING
// Deliveries; the hub's delivery dispatcher starts their Temporal workflows, which sign and POST
// them to a local receiver that verifies every signature with `standardwebhooks` and answers 200.
//
// Everything is real: a Temporal server (TEMPORAL_ADDRESS, else a dev server started here), the
// database (PostgreSQL from DATABASE_URL, in a scratch database created and dropped here; else an
// in-memory PGlite), the hub in role `all` (api with its dispatchers + in-process worker).
//
//   pnpm bench:deliver
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres pnpm bench:deliver
//
// Knobs (env): BENCH_EVENTS (2000), BENCH_TIMEOUT (s to wait for all deliveries, 300).
//
// It prints figures (the ≥ 200 deliveries/s target as PASS/MISS, for information). It exits 1
// only when the figures cannot be trusted: a delivery missing, unverified or received twice.
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { recordActivity } from '@patchbay/db';
import { Webhook } from 'standardwebhooks';
import {
  cleanups,
  envNumber,
  fmt,
  listen,
  loadAverage,
  machineLine,
  message,
  progress,
  runBench,
  sleep,
  table,
  startBenchHub,
} from './shared.ts';

const EVENTS = Math.round(envNumber('BENCH_EVENTS', 2000, 1));
const TIMEOUT_MS = envNumber('BENCH_TIMEOUT', 300, 1) * 1000;
/** Events are recorded by this many concurrent producers, as runs finishing side by side do. */
const PRODUCERS = Math.round(envNumber('BENCH_PRODUCERS', 8, 1));
const TARGET_PER_S = 200;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function gql<T>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL (HTTP ${res.status}): ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

interface Receiver {
  url: string;
  /** performance.now() when the delivery of event n was verified (first time). */
  receivedAt: Map<number, number>;
  duplicates: number;
  unverified: string[];
  other: number;
  requests: number;
  setSecret(secret: string): void;
}

async function startReceiver(): Promise<Receiver> {
  let webhook: Webhook | undefined;
  const receiver: Receiver = {
    url: '',
    receivedAt: new Map(),
    duplicates: 0,
    unverified: [],
    other: 0,
    requests: 0,
    setSecret: (secret) => (webhook = new Webhook(secret)),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      let payload: { data?: { n?: unknown } };
      try {
        if (!webhook) throw new Error('no secret yet');
        payload = webhook.verify(body, headers) as { data?: { n?: unknown } };
      } catch (err) {
        receiver.unverified.push(`${headers['webhook-id'] ?? '?'}: ${message(err)}`);
        res.writeHead(400).end();
        return;
      }
      const at = performance.now();
      const n = payload.data?.n;
      if (typeof n !== 'number') receiver.other++;
      else if (receiver.receivedAt.has(n)) receiver.duplicates++;
      else receiver.receivedAt.set(n, at);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  receiver.url = await listen(server);
  cleanups.push({
    what: 'closing the receiver',
    undo: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  });
  return receiver;
}

async function main(): Promise<boolean> {
  const cpus = os.cpus();
  const loadBefore = loadAverage();
  const facts: string[] = [machineLine(), `load       ${EVENTS.toLocaleString('en-US')} bench.event activity events, one matching subscription, recorded by ${PRODUCERS} concurrent producers`];

  progress('starting the hub (role all, delivery dispatcher on)');
  const { running, token, db } = await startBenchHub('deliver', facts);
  const graphqlUrl = `${running.app!.url}/graphql`;
  facts.push(`hub        role all at ${running.app!.url}, delivery dispatcher with its defaults`);

  const receiver = await startReceiver();
  const { createWebhookSubscription } = await gql<{ createWebhookSubscription: { secret: string; subscription: { id: string } } }>(
    graphqlUrl,
    token,
    `mutation($url: String!) { createWebhookSubscription(input: { url: $url, eventTypes: ["bench.*"] }) { secret subscription { id } } }`,
    { url: `${receiver.url}/receive` },
  );
  receiver.setSecret(createWebhookSubscription.secret);
  facts.push(`receiver   bare node:http at ${receiver.url}, standardwebhooks verify on every request → 200`);

  const org = await db.prisma.organization.findFirst({ select: { id: true } });
  if (!org) throw new Error('no organization after bootstrap');

  progress(`recording ${EVENTS} activity events`);
  const eventAt: number[] = [];
  const start = performance.now();
  let nextEvent = 0;
  const producer = async () => {
    while (nextEvent < EVENTS) {
      const n = nextEvent++;
      eventAt[n] = performance.now();
      await recordActivity(db, { orgId: org.id, type: 'bench.event', message: `bench event ${n}`, data: { n } });
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, producer));
  const recordedMs = performance.now() - start;

  progress('waiting for the deliveries');
  const deadline = Date.now() + TIMEOUT_MS;
  let lastReport = Date.now();
  while (receiver.receivedAt.size < EVENTS && Date.now() < deadline) {
    await sleep(100);
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      progress(`${receiver.receivedAt.size}/${EVENTS} received`);
    }
  }
  await sleep(1_000); // a duplicate would land now
  const received = [...receiver.receivedAt.values()];
  const last = Math.max(...received);
  const wallMs = last - start;
  const perSecond = (receiver.receivedAt.size / wallMs) * 1000;
  const latencies = [...receiver.receivedAt].map(([n, at]) => at - eventAt[n]!).sort((a, b) => a - b);
  const statuses = await db.prisma.delivery.groupBy({ by: ['status'], _count: true });

  const problems: string[] = [];
  const missing = EVENTS - receiver.receivedAt.size;
  if (missing) problems.push(`${missing} of ${EVENTS} events never arrived within ${TIMEOUT_MS / 1000} s`);
  if (receiver.duplicates) problems.push(`${receiver.duplicates} events arrived more than once`);
  if (receiver.unverified.length) problems.push(`${receiver.unverified.length} requests failed verification, e.g. ${receiver.unverified[0]}`);
  if (receiver.other) problems.push(`${receiver.other} verified requests without data.n`);

  facts.push(`os load    1/5/15-min load average ${loadBefore} at start, ${loadAverage()} at end (${cpus.length} CPUs)`);
  const out = [
    '',
    'Patchbay webhook delivery benchmark (recordActivity → PENDING Delivery → dispatcher → Temporal → signed POST → verified)',
    '',
    ...facts,
    '',
    table([
      ['', 'per s', 'p50 ms', 'p99 ms', 'max ms', 'received', 'wall s'],
      [
        'deliveries (first recordActivity → last verified receipt)',
        fmt(perSecond),
        fmt(percentile(latencies, 50)),
        fmt(percentile(latencies, 99)),
        fmt(latencies.at(-1) ?? NaN),
        `${receiver.receivedAt.size.toLocaleString('en-US')}/${EVENTS.toLocaleString('en-US')}`,
        fmt(wallMs / 1000, 2),
      ],
    ]),
    `(latency: recordActivity called → receiver verified it, correlated by data.n; recording the ${EVENTS} events took ${fmt(recordedMs / 1000, 2)} s, ${fmt(recordedMs / EVENTS, 2)} ms each on average, by ${PRODUCERS} concurrent producers)`,
    '',
    `deliveries/s   ${fmt(perSecond)}   target ≥ ${TARGET_PER_S}   ${perSecond >= TARGET_PER_S ? 'PASS' : 'MISS'}   (informational)`,
    `Delivery rows by status: ${statuses.map((s) => `${s.status} ${s._count}`).join(', ')}; receiver got ${receiver.requests} requests`,
    '',
    problems.length
      ? `THE FIGURES ARE NOT VALID:\n  ${problems.join('\n  ')}`
      : `checks: all ${EVENTS} events arrived, each verified with standardwebhooks, none twice`,
    '',
  ];
  console.log(out.join('\n'));
  return problems.length === 0;
}

await runBench('bench:deliver', main);
