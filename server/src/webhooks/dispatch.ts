// Starting accepted events' workflow: one `webhook-batch/…` for many events, by the request path
// and by the outbox alike. Dispatching an event twice — the two racing, or a retried sweep —
// never routes it twice: the batch finishes only unfinished events, and each event it routes
// gets the workflow id `webhook-event/<eventId>`, started REJECT_DUPLICATE.
import { forgetWebhookDispatchSql } from '@patchbay/db';
import type { WebhookBatchInput } from '@patchbay/workflows';
import type { Hub } from '../context.ts';

/**
 * The most events one `webhook-batch/…` workflow carries, for the request path and the outbox
 * alike: their ids are recorded in one row (about 60 kB at this size).
 */
export const MAX_EVENTS_PER_BATCH = 2_000;

/**
 * Starts one `webhook-batch/…` workflow for many accepted events, recorded by the caller under
 * this workflow id (recordWebhookDispatchSql, webhookBatchWorkflowId): the workflow reads their ids
 * from that row (so up to 2,000 ids do not travel through Temporal's history), finishes those
 * with nothing to route and starts `webhook-event/<id>` for the others, in the order given.
 * When it cannot be started now, the record goes (its events are the outbox's again; a record
 * that cannot be deleted either is dropped by the outbox's stale check) and the error is thrown.
 */
export async function startWebhookBatchWorkflow(hub: Hub, workflowId: string): Promise<void> {
  const { temporal } = hub;
  try {
    // Bounded by the start's deadline (connectTemporal).
    await temporal.client.workflow.start('webhookBatchWorkflow', {
      workflowId,
      taskQueue: temporal.taskQueue,
      args: [{ searchAttributes: temporal.searchAttributes } satisfies WebhookBatchInput],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if ((err as Error)?.name === 'WorkflowExecutionAlreadyStartedError') return;
    await hub.db.sql(forgetWebhookDispatchSql(workflowId)).catch(() => undefined);
    throw err;
  }
}

// Work the request path starts after answering (feed entry, first dispatch attempt), tracked
// per hub so that stopping the hub waits for it instead of closing the database under it.
const inflight = new WeakMap<Hub, Set<Promise<unknown>>>();

export function afterResponse(hub: Hub, work: () => Promise<unknown>): void {
  let set = inflight.get(hub);
  if (!set) inflight.set(hub, (set = new Set()));
  const promise = work().catch((err) => hub.logger.error({ err }, 'webhook background work failed'));
  set.add(promise);
  void promise.finally(() => set.delete(promise));
}

export async function settleBackgroundWork(hub: Hub): Promise<void> {
  const set = inflight.get(hub);
  while (set?.size) await Promise.allSettled([...set]);
}

// The request path tells its process's outbox when a batch could not be dispatched: the outbox
// looks for unrecorded events only now and then otherwise (a crash's leftovers), and these are
// its to send as soon as they are past its grace period.
const undispatchedListeners = new WeakMap<Hub, () => void>();

export function onEventsLeftUndispatched(hub: Hub, listener: () => void): void {
  undispatchedListeners.set(hub, listener);
}

export function eventsLeftUndispatched(hub: Hub): void {
  undispatchedListeners.get(hub)?.();
}
