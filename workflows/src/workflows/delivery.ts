// One outgoing Delivery = one workflow, `delivery/<id>` (a replay: `delivery/<id>/replay-<n>`).
// Attempts follow the schedule (default 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with
// ±20 % jitter derived from the delivery id (deterministic: no Math.random in workflow code),
// as durable timers; a Retry-After is honoured up to twice the scheduled delay or 1 h,
// whichever is more. Each attempt records itself; the activity decides DELIVERED / disable.
import { proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import { startDetachedChild } from './common.ts';
import type { DeliveryActivities } from '../activities/deliveries.ts';
import {
  DELIVERY_DISABLE_AFTER_MS,
  DELIVERY_SCHEDULE_MS,
  deliveryWorkflowId,
  NON_RETRYABLE_TYPES,
  type DeliveryBatchInput,
  type DeliveryWorkflowInput,
  type DeliveryWorkflowResult,
} from '../shared/names.ts';

// Database bookkeeping: quick and idempotent, retried through DB blips.
// Our own database's bookkeeping: local activities, no server round trip per step.
const bookkeeping = proxyLocalActivities<DeliveryActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// One attempt: the POST itself never throws (its outcome is recorded); only DB errors are retried.
const attempts = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

const HOUR_MS = 3_600_000;

/** A fraction in [-0.2, 0.2] from the delivery id and attempt number (FNV-1a). */
export function jitterFactor(deliveryId: string, attempt: number): number {
  let hash = 0x811c9dc5;
  for (const char of `${deliveryId}:${attempt}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return (hash / 0xffffffff) * 0.4 - 0.2;
}

export function scheduledDelay(deliveryId: string, attempt: number, schedule: number[], retryAfterMs?: number): number {
  const base = schedule[attempt] ?? 0;
  const jittered = Math.round(base * (1 + jitterFactor(deliveryId, attempt)));
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, Math.max(base * 2, HOUR_MS)));
}

export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<DeliveryWorkflowResult> {
  const { deliveryId } = input;
  const schedule = input.scheduleMs?.length ? input.scheduleMs : DELIVERY_SCHEDULE_MS;
  const disableAfterMs = input.disableAfterMs ?? DELIVERY_DISABLE_AFTER_MS;
  const from = input.continueFrom;
  if (!from && !(await bookkeeping.beginDelivery(deliveryId, input.replay === true))) return { deliveryId, status: 'SKIPPED', attempts: 0 };

  let retryAfterMs: number | undefined = from?.retryAfterMs;
  for (let attempt = from?.attempt ?? 0; attempt < schedule.length; attempt++) {
    const delay = scheduledDelay(deliveryId, attempt, schedule, retryAfterMs);
    if (delay > 0) {
      await bookkeeping.scheduleDeliveryAttempt(deliveryId, delay);
      await sleep(delay);
    }
    const outcome = await attempts.attemptDelivery(deliveryId, disableAfterMs);
    if (outcome.result === 'delivered') return { deliveryId, status: 'DELIVERED', attempts: attempt + 1 };
    if (outcome.result === 'stop') {
      await bookkeeping.finishDelivery(deliveryId, 'FAILED');
      return { deliveryId, status: 'FAILED', attempts: attempt + 1 };
    }
    retryAfterMs = outcome.retryAfterMs;
  }
  await bookkeeping.finishDelivery(deliveryId, 'FAILED');
  return { deliveryId, status: 'FAILED', attempts: schedule.length };
}

// The batch's attempts: one activity posting many deliveries side by side.
const batchAttempts = proxyActivities<DeliveryActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/**
 * The first attempts of many deliveries at once (the dispatcher's fast path): claims them, posts
 * them in one activity, and hands each one that needs a retry to a `delivery/<id>` workflow of
 * its own, which goes on with the schedule from the second attempt.
 */
export async function deliveryBatchWorkflow(input: DeliveryBatchInput): Promise<{ delivered: number; retrying: number; stopped: number }> {
  const schedule = input.scheduleMs?.length ? input.scheduleMs : DELIVERY_SCHEDULE_MS;
  const disableAfterMs = input.disableAfterMs ?? DELIVERY_DISABLE_AFTER_MS;
  const claimed = await bookkeeping.claimDeliveries(input.deliveryIds);
  const handOver = (deliveryId: string, continueFrom: DeliveryWorkflowInput['continueFrom']) =>
    startDetachedChild(deliveryWorkflow, {
      workflowId: deliveryWorkflowId(deliveryId),
      args: [{ deliveryId, scheduleMs: input.scheduleMs, disableAfterMs, continueFrom }],
    });
  // A schedule whose first attempt waits is not a fast path: every delivery gets its own workflow.
  if ((schedule[0] ?? 0) > 0) {
    for (const id of claimed) await handOver(id, { attempt: 0 });
    return { delivered: 0, retrying: claimed.length, stopped: 0 };
  }
  const outcomes = claimed.length ? await batchAttempts.attemptDeliveries(claimed, disableAfterMs) : [];
  let delivered = 0;
  let retrying = 0;
  const stopped: string[] = [];
  for (const { deliveryId, outcome } of outcomes) {
    if (outcome.result === 'delivered') delivered++;
    else if (outcome.result === 'stop') stopped.push(deliveryId);
    else {
      retrying++;
      await handOver(deliveryId, { attempt: 1, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) });
    }
  }
  for (const id of stopped) await bookkeeping.finishDelivery(id, 'FAILED');
  return { delivered, retrying, stopped: stopped.length };
}
