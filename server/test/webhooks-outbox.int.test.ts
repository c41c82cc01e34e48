// Durable acknowledgement: while Temporal is down, webhooks are still accepted (202 after the
// row is committed) and wait in the outbox as RECEIVED; when Temporal is back on the same
// address, the api's outbox dispatcher starts their workflows and they are processed, in order.
import { SEARCH_ATTRIBUTES } from '@patchbay/workflows';
import { startTemporalDevServer, type TemporalDevServer } from '@patchbay/workflows/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHub, type TestOrg } from './harness.ts';
import { CreateEndpoint, postHook, until, waitForEvent } from './webhooks-helpers.ts';

let temporal: TemporalDevServer | undefined;
let hub: TestHub;
let org: TestOrg;
let port: number;

beforeAll(async () => {
  temporal = await startTemporalDevServer({ port: 0, uiPort: null, searchAttributes: SEARCH_ATTRIBUTES });
  port = Number(temporal.address.split(':').pop());
  hub = await TestHub.start({ env: { TEMPORAL_ADDRESS: temporal.address }, webhookOutbox: { intervalMs: 250, graceMs: 1_000 } });
  org = await hub.createOrg('outbox');
}, 180_000);

afterAll(async () => {
  await hub?.stop();
  await temporal?.stop();
});

describe('the webhook outbox', () => {
  it('accepts events while Temporal is down and processes them, in order, once it is back', async () => {
    const created = await hub.data(
      CreateEndpoint,
      { input: { name: 'outbox', verification: 'NONE', options: { ordered: true }, transform: { n: '$.n' } } },
      org.tokens.ADMIN,
    );
    const { url } = created.createWebhookEndpoint.endpoint;

    // Up: processed straight away.
    const first = await postHook(hub, url, JSON.stringify({ n: 0 }));
    expect(first.status).toBe(202);
    expect((await waitForEvent(hub, first.body.id as string)).status).toBe('PROCESSED');

    await temporal!.stop();
    temporal = undefined;

    // Down: every request is still acknowledged quickly, and only after its row exists.
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) {
      const started = Date.now();
      const res = await postHook(hub, url, JSON.stringify({ n }));
      expect(res.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(2_000);
      const row = await hub.db.prisma.webhookEvent.findUnique({ where: { id: res.body.id as string } });
      expect(row).not.toBeNull();
      ids.push(res.body.id as string);
    }
    // Past the outbox's grace period they are still waiting: nothing could dispatch them.
    await new Promise((r) => setTimeout(r, 2_500));
    const waiting = await hub.db.prisma.webhookEvent.findMany({ where: { id: { in: ids } } });
    expect(waiting.map((e) => e.status)).toEqual(Array(5).fill('RECEIVED'));
    const ready = await fetch(`${hub.url}/readyz`);
    expect(ready.status).toBe(503);

    // Back on the same address: the outbox dispatches them; the worker reconnects and routes them.
    temporal = await startTemporalDevServer({ port, uiPort: null, searchAttributes: SEARCH_ATTRIBUTES });
    const events = [];
    for (const id of ids) events.push(await waitForEvent(hub, id, (s) => s === 'PROCESSED' || s === 'FAILED', 120_000));
    expect(events.map((e) => e.status)).toEqual(Array(5).fill('PROCESSED'));
    expect(events.map((e) => (e.output as { payload: { n: number } }).payload.n)).toEqual([1, 2, 3, 4, 5]);
    // Dispatched oldest first (one batch, in order), and (ordered endpoint) processed one after the other in that order.
    const byDispatch = [...events].sort((a, b) => a.dispatchedAt!.getTime() - b.dispatchedAt!.getTime() || 0).map((e) => e.id);
    expect(byDispatch).toEqual(ids);
    const byProcessing = [...events].sort((a, b) => a.processedAt!.getTime() - b.processedAt!.getTime()).map((e) => e.id);
    expect(byProcessing).toEqual(ids);
    for (const e of events) expect(e.dispatchedAt!.getTime()).toBeGreaterThan(e.receivedAt.getTime());
    expect(hub.logs.some((l) => l.includes('dispatched webhook events from the outbox'))).toBe(true);
    await until('readiness', async () => (await fetch(`${hub.url}/readyz`)).ok, 30_000);
  }, 240_000);

  it('hands a backlog back to Temporal in batch workflows, not one workflow start per event', async () => {
    const created = await hub.data(CreateEndpoint, { input: { name: 'backlog', verification: 'NONE' } }, org.tokens.ADMIN);
    const { url } = created.createWebhookEndpoint.endpoint;
    await temporal!.stop();
    temporal = undefined;

    const ids: string[] = [];
    for (let n = 0; n < BACKLOG; n++) {
      const res = await postHook(hub, url, JSON.stringify({ n }));
      expect(res.status).toBe(202);
      ids.push(res.body.id as string);
    }
    // Past the grace period, so that one round takes them all.
    await new Promise((r) => setTimeout(r, 1_500));
    const backAt = new Date();
    temporal = await startTemporalDevServer({ port, uiPort: null, searchAttributes: SEARCH_ATTRIBUTES });
    await until(
      'the backlog processed',
      async () => (await hub.db.prisma.webhookEvent.count({ where: { id: { in: ids }, status: 'PROCESSED' } })) === BACKLOG,
      120_000,
    );
    const { client } = hub.hub.temporal;
    const batches = await client.workflow.count(`WorkflowType = 'webhookBatchWorkflow' AND StartTime >= '${backAt.toISOString()}'`);
    expect(batches.count).toBeGreaterThan(0);
    expect(batches.count).toBeLessThanOrEqual(3);
    // Nothing to route (no target, not ordered): the batch finished them, no event got a workflow of its own.
    const single = await client.workflow.count(`WorkflowType = 'webhookEventWorkflow' AND StartTime >= '${backAt.toISOString()}'`);
    expect(single.count).toBe(0);
    const rows = await hub.db.prisma.webhookEvent.findMany({ where: { id: { in: ids } }, orderBy: { receivedAt: 'asc' } });
    expect(rows.map((row) => (row.output as { payload: { n: number } }).payload.n)).toEqual(ids.map((_, n) => n));
    expect(rows.every((row) => row.dispatchedAt && row.dispatchedAt >= row.receivedAt)).toBe(true);
  }, 240_000);
});

/** Events accepted while Temporal is down in the backlog test. */
const BACKLOG = 300;
