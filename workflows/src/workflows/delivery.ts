// One outgoing Delivery = one workflow, `delivery/<id>` (a replay: `delivery/<id>/replay-<n>`).
// Attempts follow the schedule (default 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with
// ±20 % jitter derived from the delivery id (deterministic: no Math.random in workflow code),
// as durable timers; a Retry-After is honoured up to twice the scheduled delay or 1 h,
// whichever is more. Each attempt records itself; the activity decides DELIVERED / disable.
import { proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { DeliveryActivities } from '../activities/deliveries.ts';
import {
  DELIVERY_DISABLE_AFTER_MS,
  DELIVERY_SCHEDULE_MS,
  NON_RETRYABLE_TYPES,
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
  if (!(await bookkeeping.beginDelivery(deliveryId, input.replay === true))) return { deliveryId, status: 'SKIPPED', attempts: 0 };

  let retryAfterMs: number | undefined;
  for (let attempt = 0; attempt < schedule.length; attempt++) {
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
