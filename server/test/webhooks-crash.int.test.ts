// Durable acknowledgement under a crash: the api process is SIGKILLed in the middle of an
// ingest load. Every request that got a 2xx must be in the database, and — once a new api
// process is up (its outbox picks up what the dead one never dispatched) — processed exactly
// once: the forward target sees each acknowledged event exactly one time. Separate processes
// need a shared database, so this runs on PostgreSQL (DATABASE_URL, as CI does).
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@patchbay/db';
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { findFreePort } from '@patchbay/workflows/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken, hashToken, tokenPrefix } from '../src/services/tokens.ts';
import { processGroup, spawnHubProcess, waitFor as waitForOutput, scratchDatabase, type ScratchDatabase } from './processes.ts';

const sharedUrl = process.env.DATABASE_URL;
/** This file's own database (see scratchDatabase). */
let databaseUrl: string | undefined;
let scratch: ScratchDatabase | undefined;
const CONCURRENCY = 16;

describe.skipIf(!sharedUrl)('webhook ingest survives a SIGKILL of the api process (PostgreSQL)', () => {
  const output: string[] = [];
  const children = processGroup();
  const taskQueue = `crash-${randomUUID()}`;
  let db: Database;
  let receiver: FakeServer;
  let port: number;
  let orgId: string;
  let api: ChildProcess;

  function start(role: 'api' | 'worker', listenPort: number): ChildProcess {
    const child = spawnHubProcess(role, { databaseUrl: databaseUrl!, taskQueue, port: listenPort, output, env: { LOG_LEVEL: 'warn', PATCHBAY_ALLOW_PRIVATE_NETWORK: 'true' } });
    children.add(child);
    return child;
  }

  const waitFor = <T,>(check: () => Promise<T> | T, what: string, timeoutMs?: number) => waitForOutput(check, what, output, timeoutMs);

  beforeAll(async () => {
    scratch = await scratchDatabase(sharedUrl!);
    databaseUrl = scratch.url;
    db = await openDatabase({ kind: 'postgres', url: databaseUrl! });
    receiver = await startFakeServer(() => ({ status: 200, json: { ok: true } }));
    port = await findFreePort();
    api = start('api', port);
    start('worker', 0);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 'the api process');
    const slug = `crash-${randomUUID().slice(0, 8)}`;
    orgId = (await db.prisma.organization.create({ data: { slug, name: slug } })).id;
  }, 180_000);

  afterAll(async () => {
    await children.stopAll();
    if (db && orgId) await db.prisma.organization.delete({ where: { id: orgId } }).catch(() => undefined);
    await db?.close();
    await receiver?.close();
    await scratch?.drop();
  });

  it('keeps every acknowledged event and processes each exactly once', async () => {
    const token = generateToken();
    await db.prisma.apiToken.create({ data: { orgId, name: 'admin', role: 'ADMIN', prefix: tokenPrefix(token), tokenHash: hashToken(token) } });
    const created = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { url } } }',
        variables: { input: { name: 'crash', verification: 'NONE', target: { forward: { url: `${receiver.url}/sink` } } } },
      }),
    }).then((r) => r.json() as Promise<{ data: { createWebhookEndpoint: { endpoint: { url: string } } } }>);
    const hookPath = new URL(created.data.createWebhookEndpoint.endpoint.url).pathname;

    // The load: CONCURRENCY senders, each request with its own idempotency key.
    const acknowledged = new Map<string, string>(); // idempotency key → event id
    let sent = 0;
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const key = `crash-${sent++}`;
        try {
          const res = await fetch(`http://127.0.0.1:${port}${hookPath}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': key },
            body: JSON.stringify({ key }),
          });
          const body = (await res.json()) as { id?: string };
          if (res.status === 202 && body.id) acknowledged.set(key, body.id);
        } catch {
          // The process is gone: this request was never acknowledged.
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const senders = Array.from({ length: CONCURRENCY }, sender);
    await waitFor(() => acknowledged.size >= 150, '150 acknowledged events', 60_000);
    api.kill('SIGKILL');
    await new Promise((r) => api.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(senders);
    expect(acknowledged.size).toBeGreaterThanOrEqual(150);

    // Every acknowledged event is in the database, right after the crash.
    const ids = [...acknowledged.values()];
    const stored = await db.prisma.webhookEvent.findMany({ where: { id: { in: ids } }, select: { id: true, dedupeKey: true } });
    expect(stored.length).toBe(ids.length);
    for (const row of stored) expect(acknowledged.get(row.dedupeKey!)).toBe(row.id);

    // A new api process: its outbox dispatches whatever the dead one left RECEIVED.
    start('api', port);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 'the new api process');
    await waitFor(
      async () => (await db.prisma.webhookEvent.count({ where: { id: { in: ids }, status: 'PROCESSED' } })) === ids.length,
      'every acknowledged event PROCESSED',
      180_000,
    );

    // Exactly once: the forward target saw each acknowledged event one time.
    const forwarded = receiver.requests.map((r) => String(r.headers['x-patchbay-event-id']));
    const counts = new Map<string, number>();
    for (const id of forwarded) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const id of ids) expect(counts.get(id), `event ${id}`).toBe(1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  }, 400_000);
});
