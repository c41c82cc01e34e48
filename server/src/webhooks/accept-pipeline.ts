// What follows a 202, for many events at once: their `webhook.received` feed entries in one
// transaction (not flushed before the commit returns: the events themselves are durable, the
// feed lines are derived from them), their workflows started with bounded concurrency, and one
// UPDATE marking those DISPATCHED. An event whose start fails stays RECEIVED for the outbox.
import { recordActivities } from '@patchbay/db';
import type { Hub } from '../context.ts';
import { markDispatched, startWebhookEventWorkflow } from './dispatch.ts';

export interface AcceptedEvent {
  endpoint: { id: string; orgId: string; name: string };
  eventId: string;
  outcome: string;
  dedupeKey: string | null;
}

const MAX_BATCH = 200;
/** Endpoints whose workflow starts are in flight at once per batch. */
const START_CONCURRENCY = 16;

export interface AcceptPipeline {
  /** Resolves once the event's feed entry is written and its dispatch was tried. */
  accept(event: AcceptedEvent): Promise<void>;
}

export function createAcceptPipeline(hub: Hub): AcceptPipeline {
  const queue: Array<{ event: AcceptedEvent; done: () => void }> = [];
  let draining = false;
  /** Endpoints with an event left to the outbox: their later events wait behind it. */
  const stalled = new Set<string>();

  /** Whether an event of the same endpoint, received before this one, is still undispatched. */
  async function hasEarlierUndispatched(eventId: string): Promise<boolean> {
    const rows = await hub.db.prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM "WebhookEvent" e JOIN "WebhookEvent" me ON me."id" = ${eventId} AND e."endpointId" = me."endpointId"
      WHERE e."status" = 'RECEIVED' AND (e."receivedAt", e."id") < (me."receivedAt", me."id") LIMIT 1`;
    return rows.length > 0;
  }

  async function drain() {
    draining = true;
    try {
      while (queue.length) {
        const batch = queue.splice(0, MAX_BATCH);
        try {
          await process(batch.map((b) => b.event));
        } catch (err) {
          hub.logger.warn({ err, events: batch.length }, 'webhook events stay in the outbox: their dispatch failed');
        } finally {
          for (const b of batch) b.done();
        }
      }
    } finally {
      draining = false;
    }
  }

  async function process(events: AcceptedEvent[]) {
    await recordActivities(
      hub.db,
      events.map(({ endpoint, eventId, outcome, dedupeKey }) => ({
        orgId: endpoint.orgId,
        type: 'webhook.received',
        message: `Webhook received on "${endpoint.name}" (${outcome})`,
        data: { endpointId: endpoint.id, eventId, verification: outcome, ...(dedupeKey ? { messageId: dedupeKey } : {}) },
      })),
      { durable: false },
    ).catch((err) => hub.logger.warn({ err }, 'could not record webhook.received'));
    // Per endpoint, in arrival order, stopping at the first failure: a later event must not be
    // dispatched before an earlier one the outbox will have to retry (order per endpoint).
    const byEndpoint = new Map<string, AcceptedEvent[]>();
    for (const event of events) byEndpoint.set(event.endpoint.id, [...(byEndpoint.get(event.endpoint.id) ?? []), event]);
    const queues = [...byEndpoint.values()];
    const started: string[] = [];
    const worker = async () => {
      for (let queue = queues.shift(); queue; queue = queues.shift()) {
        for (const { endpoint, eventId } of queue) {
          if (stalled.has(endpoint.id)) {
            if (await hasEarlierUndispatched(eventId)) break;
            stalled.delete(endpoint.id);
          }
          try {
            await startWebhookEventWorkflow(hub, eventId);
            started.push(eventId);
          } catch (err) {
            // The outbox dispatcher picks it (and this endpoint's later events) up when Temporal answers again.
            stalled.add(endpoint.id);
            hub.logger.warn({ err, eventId }, 'webhook event stays in the outbox: its workflow could not be started now');
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, queues.length) }, worker));
    await markDispatched(hub, started);
  }

  return {
    accept(event) {
      return new Promise<void>((done) => {
        queue.push({ event, done });
        if (!draining) void drain();
      });
    },
  };
}
