// Starting an event's workflow. The workflow id is derived from the event
// (`webhook-event/<eventId>`) and starts are REJECT_DUPLICATE, so dispatching an event twice —
// the request path and the outbox racing, or a retried sweep — never routes it twice.
import { webhookBatchWorkflowId, webhookEventWorkflowId, type WebhookBatchInput, type WebhookEventWorkflowInput } from '@patchbay/workflows';
import type { Hub } from '../context.ts';

/** How long one start may take; when Temporal is down the outbox tries again later. */
const START_DEADLINE_MS = 5_000;

export async function startWebhookEventWorkflow(hub: Hub, eventId: string): Promise<void> {
  const { temporal } = hub;
  try {
    await temporal.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      temporal.client.workflow.start('webhookEventWorkflow', {
        workflowId: webhookEventWorkflowId(eventId),
        taskQueue: temporal.taskQueue,
        args: [{ eventId, searchAttributes: temporal.searchAttributes } satisfies WebhookEventWorkflowInput],
        // A finished execution keeps its id (for the namespace's retention): no second routing.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    );
  } catch (err) {
    // Already started (or finished) by an earlier dispatch: that is success.
    if ((err as Error)?.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
  }
}

/**
 * Starts one `webhook-batch/…` workflow for many accepted events (the request path's fast
 * path): it finishes those with nothing to route and starts `webhook-event/<id>` for the others.
 * Dispatching an event again later (the outbox) is harmless: the per-event id is the guard.
 */
export async function startWebhookBatchWorkflow(hub: Hub, eventIds: string[]): Promise<void> {
  const { temporal } = hub;
  try {
    await temporal.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      temporal.client.workflow.start('webhookBatchWorkflow', {
        workflowId: webhookBatchWorkflowId(eventIds),
        taskQueue: temporal.taskQueue,
        args: [{ eventIds, searchAttributes: temporal.searchAttributes } satisfies WebhookBatchInput],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    );
  } catch (err) {
    if ((err as Error)?.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
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
