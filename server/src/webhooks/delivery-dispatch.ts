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
      startMany: { size: BATCH_SIZE, coalesceMs: 25, start: (ids) => startDeliveryBatchWorkflow(hub.temporal, ids, deliveryOverrides()) },
    },
    options,
  );
}
