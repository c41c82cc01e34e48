// What follows a 202, for many events at once: one webhook-batch workflow started for all of
// them, recorded first as one WebhookDispatch row (the events themselves stay RECEIVED; the row
// tells the outbox they are in flight). If the start fails, the row goes and the events are the
// outbox's. Their `webhook.received` feed entries were written with them, except in
// organizations with flows triggered by domain events: those are recorded here, by the general
// path, in one transaction (not flushed before the commit returns: the events themselves are
// durable, the feed lines are derived from them).
import { NOT_IN_FLIGHT, recordActivities, recordWebhookDispatch } from '@patchbay/db';
import { webhookBatchWorkflowId } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { afterResponse, eventsLeftUndispatched, MAX_EVENTS_PER_BATCH, startWebhookBatchWorkflow } from './dispatch.ts';

export interface AcceptedEvent {
  endpoint: { id: string; orgId: string; name: string };
  eventId: string;
  outcome: string;
  dedupeKey: string | null;
  /** Whether its feed entry was written with it. */
  feedWritten: boolean;
}

/**
 * The least time between two workflow starts. Each start costs the Temporal server the same
 * whatever it carries (its dev server: ~13 ms of CPU, measured at 1, 5 and 20 starts/s), so
 * under load events gather for a start: at most 1000 / START_INTERVAL_MS starts a second. An
 * event after a quiet spell is started at once.
 */
const START_INTERVAL_MS = 500;

export interface AcceptPipeline {
  /**
   * Queues the event. Its feed entry (if still to write) and its dispatch happen in this process's
   * background work, which stopping the hub waits for (settleBackgroundWork).
   */
  accept(event: AcceptedEvent): void;
}

export function createAcceptPipeline(hub: Hub): AcceptPipeline {
  const queue: AcceptedEvent[] = [];
  let draining = false;
  /** Endpoints with an event left to the outbox: their later events wait behind it. */
  const stalled = new Set<string>();

  /** Whether an event of the same endpoint, received before this one, is still undispatched. */
  async function hasEarlierUndispatched(eventId: string): Promise<boolean> {
    const rows = await hub.db.prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM "WebhookEvent" e JOIN "WebhookEvent" me ON me."id" = ${eventId} AND e."endpointId" = me."endpointId"
      WHERE e."status" = 'RECEIVED' AND (e."receivedAt", e."id") < (me."receivedAt", me."id") AND ${NOT_IN_FLIGHT} LIMIT 1`;
    return rows.length > 0;
  }

  let lastStartAt = 0;

  async function drain() {
    try {
      while (queue.length) {
        const wait = lastStartAt + START_INTERVAL_MS - Date.now();
        if (wait > 0 && queue.length < MAX_EVENTS_PER_BATCH) await new Promise((resolve) => setTimeout(resolve, wait));
        lastStartAt = Date.now();
        const batch = queue.splice(0, MAX_EVENTS_PER_BATCH);
        try {
          await process(batch);
        } catch (err) {
          hub.logger.warn({ err, events: batch.length }, 'webhook events stay in the outbox: their dispatch failed');
        }
      }
    } finally {
      draining = false;
    }
  }

  async function process(events: AcceptedEvent[]) {
    const feedless = events.filter((e) => !e.feedWritten);
    await recordActivities(
      hub.db,
      feedless.map(({ endpoint, eventId, outcome, dedupeKey }) => ({
        orgId: endpoint.orgId,
        type: 'webhook.received',
        message: `Webhook received on "${endpoint.name}" (${outcome})`,
        data: { endpointId: endpoint.id, eventId, verification: outcome, ...(dedupeKey ? { messageId: dedupeKey } : {}) },
      })),
      { durable: false },
    ).catch((err) => hub.logger.warn({ err }, 'could not record webhook.received'));
    // In arrival order. An endpoint with an event left to the outbox keeps its later events
    // there too (order per endpoint): they are dispatched after it.
    const eligible: string[] = [];
    const heldBack = new Set<string>();
    for (const { endpoint, eventId } of events) {
      if (heldBack.has(endpoint.id)) continue;
      if (stalled.has(endpoint.id)) {
        if (await hasEarlierUndispatched(eventId)) {
          heldBack.add(endpoint.id);
          continue;
        }
        stalled.delete(endpoint.id);
      }
      eligible.push(eventId);
    }
    // Held back: the outbox's, after the events they wait behind.
    if (heldBack.size) eventsLeftUndispatched(hub);
    if (eligible.length === 0) return;
    const workflowId = webhookBatchWorkflowId(eligible);
    try {
      // Recorded before the start: a batch started and never recorded could be dispatched again by
      // the outbox (harmless, but twice the work); one recorded and never started (this process
      // died in between) is found by the outbox, whose workflow check drops the record.
      await recordWebhookDispatch(hub.db, workflowId, eligible);
      // One workflow for the whole flush, not one per event: the Temporal server's work per
      // accepted request is what bounded ingest.
      await startWebhookBatchWorkflow(hub, workflowId);
    } catch (err) {
      // The outbox dispatcher picks them (and these endpoints' later events) up when Temporal answers again.
      for (const { endpoint, eventId } of events) if (eligible.includes(eventId)) stalled.add(endpoint.id);
      hub.logger.warn({ err, events: eligible.length }, 'webhook events stay in the outbox: their workflow could not be started now');
      eventsLeftUndispatched(hub);
    }
  }

  return {
    accept(event) {
      queue.push(event);
      // One tracked task per drain, not one per event: the drain takes whatever arrives meanwhile.
      if (!draining) {
        draining = true;
        afterResponse(hub, drain);
      }
    },
  };
}
