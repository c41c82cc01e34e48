// Durable acknowledgement: while Temporal is down, webhooks are still accepted (202 after the
// row is committed) and wait in the outbox as RECEIVED; when Temporal is back on the same
// address, the api's outbox dispatcher starts their workflows and they are processed, in order.
// Batches in flight are recorded (WebhookDispatch): the outbox leaves their events alone while the
// batch's workflow runs, and dispatches them again once it does not.
import { randomUUID } from 'node:crypto';
import { SEARCH_ATTRIBUTES, webhookBatchWorkflowId } from '@patchbay/workflows';
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
  hub = await TestHub.start({ env: { TEMPORAL_ADDRESS: temporal.address }, webhookOutbox: { intervalMs: 250, graceMs: 1_000, staleDispatchMs: 1_500 } });
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
    // Its batch was recorded while in flight, and the record went with the triage.
    await until('the batch record gone', async () => (await hub.db.prisma.webhookDispatch.count({ where: { eventIds: { has: first.body.id as string } } })) === 0, 10_000);

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
    // Announced once each: by the request path before its start failed, not again by the outbox.
    expect(await receivedEntries(ids)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    // The batch routed them (ordered endpoint): its record went once their workflows were started.
    await until('their batch record gone', async () => (await hub.db.prisma.webhookDispatch.count({ where: { eventIds: { hasSome: ids } } })) === 0, 10_000);
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
    // A handful, not one per event: one batch takes the whole backlog, and each start that timed
    // out on its way back while Temporal came up adds another for the same events (a loaded CI
    // machine saw 4).
    expect(batches.count).toBeLessThanOrEqual(10);
    // Nothing to route (no target, not ordered): the batch finished them, no event got a workflow of its own.
    const single = await client.workflow.count(`WorkflowType = 'webhookEventWorkflow' AND StartTime >= '${backAt.toISOString()}'`);
    expect(single.count).toBe(0);
    const rows = await hub.db.prisma.webhookEvent.findMany({ where: { id: { in: ids } }, orderBy: { receivedAt: 'asc' } });
    expect(rows.map((row) => (row.output as { payload: { n: number } }).payload.n)).toEqual(ids.map((_, n) => n));
    expect(rows.every((row) => row.dispatchedAt && row.dispatchedAt >= row.receivedAt)).toBe(true);
    // Every batch's triage deletes its record. (Not necessarily by now: a start that timed out
    // on its way back while Temporal came up leaves a second batch for the same events, which
    // finds them processed and only deletes its record.)
    await until('every batch record gone', async () => (await hub.db.prisma.webhookDispatch.count({ where: { eventIds: { hasSome: ids } } })) === 0, 30_000);
  }, 240_000);

  it('leaves the events of a running batch alone, and dispatches again those of a batch with no running workflow', async () => {
    const created = await hub.data(CreateEndpoint, { input: { name: 'in flight', verification: 'NONE' } }, org.tokens.ADMIN);
    const endpointId = created.createWebhookEndpoint.endpoint.url.split('/').pop()!;
    const { orgId } = await hub.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    // The states a crash or a slow worker leave behind, written as the api writes them.
    const longAgo = new Date(Date.now() - 60_000);
    const event = (n: number) => ({ id: `ev_outbox_${n}_${randomUUID()}`, orgId, endpointId, headers: {}, rawBody: JSON.stringify({ n }), contentType: 'application/json', verification: 'accepted (NONE)', receivedAt: longAgo });
    // A recorded batch's events and its record, committed together: the outbox (looking every
    // round here) must not find the events unrecorded in between.
    const recorded = async (workflowId: string, events: Array<ReturnType<typeof event>>) => {
      const eventIds = events.map((e) => e.id);
      await hub.db.prisma.$transaction([
        hub.db.prisma.webhookEvent.createMany({ data: events }),
        hub.db.prisma.webhookDispatch.create({ data: { workflowId, eventIds, createdAt: longAgo } }),
      ]);
      return eventIds;
    };

    // Committed, then the api died before announcing and recording it: no record, no feed entry.
    const unrecorded = (await hub.db.prisma.webhookEvent.create({ data: event(0) })).id;
    // Recorded, then the api died before starting the batch: no such workflow.
    const orphanedEvents = [event(1), event(2)];
    const orphaned = await recorded(webhookBatchWorkflowId(orphanedEvents.map((e) => e.id)), orphanedEvents);
    // Recorded and started, not yet taken up by a worker (its task queue is one nobody polls).
    const inFlightEvent = event(3);
    const { client } = hub.hub.temporal;
    const batch = await client.workflow.start('webhookBatchWorkflow', { workflowId: webhookBatchWorkflowId([inFlightEvent.id]), taskQueue: `nobody-${randomUUID()}`, args: [{}] });
    const inFlight = await recorded(batch.workflowId, [inFlightEvent]);

    for (const id of [unrecorded, ...orphaned]) expect((await waitForEvent(hub, id, (s) => s === 'PROCESSED', 60_000)).status).toBe('PROCESSED');
    // The outbox announced what no process had: one webhook.received entry each, sharing the event's id.
    expect(await receivedEntries([unrecorded, ...orphaned])).toEqual({ [unrecorded]: 1, [orphaned[0]!]: 1, [orphaned[1]!]: 1 });
    expect(await hub.db.prisma.webhookDispatch.count({ where: { workflowId: webhookBatchWorkflowId(orphaned) } })).toBe(0);
    expect(hub.logs.some((l) => l.includes('a recorded webhook batch has no running workflow'))).toBe(true);

    // The running batch was checked and kept, and its event left waiting for it — also after
    // several more rounds past the grace period.
    await until('the running batch checked', async () => (await hub.db.prisma.webhookDispatch.findUnique({ where: { workflowId: batch.workflowId } }))?.checkedAt != null, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await hub.db.prisma.webhookEvent.findUniqueOrThrow({ where: { id: inFlight[0]! } })).status).toBe('RECEIVED');
    expect((await client.workflow.count(`WorkflowId STARTS_WITH '${batch.workflowId}/'`)).count).toBe(0);

    // An operator terminates it: at its next check the record goes, and the event is dispatched
    // again under a new batch id (the terminated one's stays taken).
    await batch.terminate('stands in for a batch that will never finish');
    expect((await waitForEvent(hub, inFlight[0]!, (s) => s === 'PROCESSED', 60_000)).status).toBe('PROCESSED');
    expect((await client.workflow.count(`WorkflowId STARTS_WITH '${batch.workflowId}/outbox-'`)).count).toBe(1);
  }, 120_000);

  it("holds an endpoint's later events back while an earlier one is in a recorded batch, then dispatches them after it", async () => {
    const created = await hub.data(CreateEndpoint, { input: { name: 'behind a batch', verification: 'NONE' } }, org.tokens.ADMIN);
    const endpointId = created.createWebhookEndpoint.endpoint.url.split('/').pop()!;
    const { orgId } = await hub.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    // Both past the grace period. The first is recorded in a batch whose start has not happened
    // (as while the request path's start retries until Temporal is back): the record is fresh, so
    // the outbox's stale check leaves it for staleDispatchMs (1.5 s here).
    const at = Date.now() - 5_000;
    const event = (n: number) => ({ id: `ev_behind_${n}_${randomUUID()}`, orgId, endpointId, headers: {}, rawBody: JSON.stringify({ n }), contentType: 'application/json', verification: 'accepted (NONE)', receivedAt: new Date(at + n) });
    const [first, later] = [event(1), event(2)];
    await hub.db.prisma.$transaction([
      hub.db.prisma.webhookEvent.createMany({ data: [first, later] }),
      hub.db.prisma.webhookDispatch.create({ data: { workflowId: webhookBatchWorkflowId([first.id]), eventIds: [first.id] } }),
    ]);

    // Several outbox rounds (250 ms apart) pass the later event by while the earlier one's batch is recorded.
    const heldUntil = Date.now() + 1_000;
    while (Date.now() < heldUntil) {
      expect(await hub.db.prisma.webhookDispatch.count({ where: { eventIds: { has: later.id } } })).toBe(0);
      expect((await hub.db.prisma.webhookEvent.findUniqueOrThrow({ where: { id: later.id } })).status).toBe('RECEIVED');
      await new Promise((r) => setTimeout(r, 100));
    }

    // The record goes stale with no workflow behind it: both are dispatched, the earlier first.
    const events = [];
    for (const id of [first.id, later.id]) events.push(await waitForEvent(hub, id, (s) => s === 'PROCESSED', 60_000));
    expect(events[0]!.dispatchedAt!.getTime()).toBeLessThanOrEqual(events[1]!.dispatchedAt!.getTime());
  }, 120_000);
});

/** How many webhook.received feed entries name each event (each one sharing its event's id). */
async function receivedEntries(eventIds: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const eventId of eventIds) {
    const rows = await hub.db.prisma.activityEvent.findMany({ where: { type: 'webhook.received', data: { path: ['eventId'], equals: eventId } }, select: { id: true } });
    for (const row of rows) expect(row.id).toBe(eventId);
    counts[eventId] = rows.length;
  }
  return counts;
}

/** Events accepted while Temporal is down in the backlog test. */
const BACKLOG = 300;
