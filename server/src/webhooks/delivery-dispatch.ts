// Starts the workflows of outgoing webhook Deliveries. Fan-out (recordActivity, in any process)
// only writes PENDING rows, because the database package cannot reach Temporal; the rows are
// the outbox. Every api process runs this sweeper beside the incoming-webhook outbox (same
// switch, same options): for PENDING rows no workflow has claimed yet (`nextAttemptAt` is null
// until one does) it starts `delivery-batch/…` workflows, each making the first attempts of up
// to BATCH_SIZE deliveries and handing those that need a retry to a `delivery/<id>` workflow of
// their own. Starting twice (two api processes, a slow worker) is harmless: each delivery is
// claimed once.
import { CHANNELS } from '@patchbay/db';
import { startDeliveryBatchWorkflow, startDeliveryWorkflow, type DeliveryStart } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { startWorkflowOutbox } from '../workflow-outbox.ts';
import type { OutboxDispatcher, OutboxOptions } from './outbox.ts';

/** A test/benchmark knob: comma-separated ms (e.g. "0,200,200"), replacing the default retry schedule. */
export function deliveryOverrides(env: NodeJS.ProcessEnv = process.env): Pick<DeliveryStart, 'scheduleMs'> {
  const raw = env.PATCHBAY_DELIVERY_SCHEDULE_MS;
  if (!raw) return {};
  const scheduleMs = raw.split(',').map((v) => Number(v.trim()));
  return scheduleMs.every((n) => Number.isFinite(n) && n >= 0) ? { scheduleMs } : {};
}

/** `claimed`: the caller claimed the delivery already (set nextAttemptAt); the workflow starts at that attempt. */
export function startDelivery(hub: Hub, deliveryId: string, replay?: string, claimed?: { attempt: number }): Promise<string> {
  return startDeliveryWorkflow(hub.temporal, deliveryId, { ...deliveryOverrides(), ...(replay ? { replay } : {}), ...(claimed ? { continueFrom: claimed } : {}) });
}

/** Deliveries whose first attempts one batch workflow makes. */
const BATCH_SIZE = 50;
/**
 * Under steady load, the least time between two rounds of batch starts (the incoming side paces
 * its starts alike, accept-pipeline.ts). bench:deliver (2,000 events from 8 producers, the worker
 * in the same process, 2 CPUs): with the 25 ms coalescing alone, rounds of ~5 deliveries each
 * started a workflow, the Temporal server took half a CPU, and 152–194 deliveries/s got through
 * (8 runs); paced at 500 ms, 185–240/s (median ~230, 5 runs) and a lower p99, for up to half a
 * second more before a delivery's first attempt under load. A delivery after a quiet spell still
 * starts within coalesceMs.
 */
const MIN_ROUND_INTERVAL_MS = 500;

export function startDeliveryDispatcher(hub: Hub, options: OutboxOptions = {}): OutboxDispatcher {
  return startWorkflowOutbox(
    hub,
    {
      name: 'delivery',
      channel: CHANNELS.deliveries,
      pending: async (limit, startedRecently) => {
        const rows = await hub.db.prisma.delivery.findMany({
          where: { status: 'PENDING', nextAttemptAt: null, ...(startedRecently.length ? { id: { notIn: startedRecently } } : {}) },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          take: limit,
          select: { id: true },
        });
        return rows.map((r) => r.id);
      },
      start: (id) => startDelivery(hub, id),
      // First attempts go out in batches: one workflow per batch, not one per delivery.
      startMany: { size: BATCH_SIZE, coalesceMs: 25, minIntervalMs: MIN_ROUND_INTERVAL_MS, start: (ids) => startDeliveryBatchWorkflow(hub.temporal, ids, deliveryOverrides()) },
    },
    options,
  );
}
