// What follows a 202, for many events at once, in one transaction: their `webhook.received` feed
// entries (with the entries' fan-out: notices, outgoing Deliveries, event-triggered flow runs)
// and the record of the one webhook-batch workflow that will route them (a WebhookDispatch row;
// the events themselves stay RECEIVED, the row tells the outbox they are in flight). Then that
// workflow is started. If the start fails, the row goes and the events are the outbox's; if this
// process dies before the transaction, the outbox announces and dispatches them (announcing is
// idempotent: an entry shares its event's id).
//
// The feed entries are written here rather than with the events: the group commit every
// acknowledgement waits on then stores the events alone (measured by bench:ingest: the entries
// and their fan-out were about a third of the database's work per request), and this
// transaction writes up to MAX_EVENTS_PER_BATCH entries at once. They follow their events by at
// most START_INTERVAL_MS under load.
import { announceAndRecordDispatch, NOT_IN_FLIGHT, type AnnouncedWebhookEvent } from '@patchbay/db';
import { webhookBatchWorkflowId } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { afterResponse, eventsLeftUndispatched, MAX_EVENTS_PER_BATCH, startWebhookBatchWorkflow } from './dispatch.ts';

/**
 * The least time between two workflow starts. Each start costs the Temporal server the same
 * whatever it carries (its dev server: ~13 ms of CPU, measured at 1, 5 and 20 starts/s), so
 * under load events gather for a start: at most 1000 / START_INTERVAL_MS starts a second. An
 * event after a quiet spell is started at once.
 */
const START_INTERVAL_MS = 500;

export interface AcceptPipeline {
  /**
   * Queues the event. Its feed entry and its dispatch happen in this process's
   * background work, which stopping the hub waits for (settleBackgroundWork).
   */
  accept(event: AnnouncedWebhookEvent): void;
}

export function createAcceptPipeline(hub: Hub): AcceptPipeline {
  const queue: AnnouncedWebhookEvent[] = [];
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
        await process(batch);
      }
    } finally {
      draining = false;
    }
  }

  /** In arrival order, the events to dispatch now: an endpoint with an event left to the outbox keeps its later events there too (order per endpoint). */
  async function dispatchable(events: AnnouncedWebhookEvent[]): Promise<string[]> {
    const eligible: string[] = [];
    const heldBack = new Set<string>();
    for (const { endpointId, id: eventId } of events) {
      if (heldBack.has(endpointId)) continue;
      if (stalled.has(endpointId)) {
        if (await hasEarlierUndispatched(eventId)) {
          heldBack.add(endpointId);
          continue;
        }
        stalled.delete(endpointId);
      }
      eligible.push(eventId);
    }
    return eligible;
  }

  async function process(events: AnnouncedWebhookEvent[]) {
    let leftToOutbox = false;
    let recorded = false;
    try {
      const eligible = await dispatchable(events);
      leftToOutbox = eligible.length < events.length;
      const workflowId = eligible.length ? webhookBatchWorkflowId(eligible) : null;
      // Recorded before the start: a batch started and never recorded could be dispatched again by
      // the outbox (harmless, but twice the work); one recorded and never started (this process
      // died in between) is found by the outbox, whose workflow check drops the record.
      await announceAndRecordDispatch(hub.db, events, workflowId ? { workflowId, eventIds: eligible } : null);
      recorded = true;
      // One workflow for the whole flush, not one per event: the Temporal server's work per
      // accepted request is what bounded ingest.
      if (workflowId) await startWebhookBatchWorkflow(hub, workflowId);
    } catch (err) {
      // The outbox announces and dispatches them (and these endpoints' later events wait behind them).
      leftToOutbox = true;
      for (const { endpointId } of events) stalled.add(endpointId);
      const what = recorded ? 'their workflow could not be started now' : 'their batch could not be recorded now';
      hub.logger.warn({ err, events: events.length }, `webhook events stay in the outbox: ${what}`);
    }
    // The outbox takes them as soon as they are past its grace period.
    if (leftToOutbox) eventsLeftUndispatched(hub);
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
