// Starts the workflows of outgoing webhook Deliveries. Fan-out (recordActivity, in any process)
// only writes PENDING rows, because the database package cannot reach Temporal; the rows are
// the outbox. Every api process runs this sweeper beside the incoming-webhook outbox (same
// switch, same options): it starts `delivery/<id>` for PENDING rows no workflow has claimed yet
// (`nextAttemptAt` is null until the workflow's first activity sets it). Starting twice (two
// api processes, a slow worker) is harmless: the id is derived from the delivery.
import { CHANNELS } from '@patchbay/db';
import { startDeliveryWorkflow, type DeliveryStart } from '@patchbay/workflows';
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

export function startDelivery(hub: Hub, deliveryId: string, replay?: string): Promise<string> {
  return startDeliveryWorkflow(hub.temporal, deliveryId, { ...deliveryOverrides(), ...(replay ? { replay } : {}) });
}

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
    },
    options,
  );
}
