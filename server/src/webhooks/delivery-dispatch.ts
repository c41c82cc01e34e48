// Starts the workflows of outgoing webhook Deliveries. Fan-out (recordActivity, in any process)
// only writes PENDING rows, because the database package cannot reach Temporal; the rows are
// the outbox. Every api process runs this sweeper beside the incoming-webhook outbox (same
// switch, same options): it starts `delivery/<id>` for PENDING rows no workflow has claimed yet
// (`nextAttemptAt` is null until the workflow's first activity sets it). Starting twice (two
// api processes, a slow worker) is harmless: the id is derived from the delivery.
import { CHANNELS } from '@patchbay/db';
import { isTemporalReachable, startDeliveryWorkflow, type DeliveryStart } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import type { OutboxDispatcher, OutboxOptions } from './outbox.ts';
import { startSweeper } from './sweeper.ts';

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

/** Workflow starts in flight at once. */
const START_CONCURRENCY = 16;

/** Started within this window: not started again by this process (its worker may just be slow). */
const RECENTLY_STARTED_MS = 60_000;

export function startDeliveryDispatcher(hub: Hub, options: OutboxOptions = {}): OutboxDispatcher {
  const intervalMs = options.intervalMs ?? 1_000;
  const batchSize = options.batchSize ?? 100;
  const logger = hub.logger.child({ component: 'delivery-dispatcher' });
  const recent = new Map<string, number>();

  async function sweep(isStopped: () => boolean): Promise<number> {
    const now = Date.now();
    for (const [id, at] of recent) if (now - at > RECENTLY_STARTED_MS) recent.delete(id);
    const rows = await hub.db.prisma.delivery.findMany({
      where: { status: 'PENDING', nextAttemptAt: null, ...(recent.size ? { id: { notIn: [...recent.keys()] } } : {}) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: batchSize,
      select: { id: true },
    });
    let started = 0;
    let next = 0;
    let unreachable = false;
    // Deliveries are independent of each other: their workflows start side by side.
    const starter = async () => {
      while (next < rows.length && !unreachable && !isStopped()) {
        const row = rows[next++]!;
        try {
          await startDelivery(hub, row.id);
          recent.set(row.id, Date.now());
          started++;
        } catch (err) {
          if (!(await isTemporalReachable(hub.temporal))) {
            if (!unreachable) logger.warn({ pending: rows.length - started }, 'Temporal is unreachable; deliveries wait until it is back');
            unreachable = true;
            return;
          }
          logger.error({ err, deliveryId: row.id }, 'could not start a delivery; will retry');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, rows.length) }, starter));
    if (started) logger.debug({ started }, 'started delivery workflows');
    return started;
  }

  const sweeper = startSweeper({ logger, name: 'delivery dispatcher', intervalMs, firstRoundMs: 0, round: sweep, fullRound: batchSize, onStop: () => unlisten.then((stop) => stop?.()) });
  // New deliveries (fanOut) wake the dispatcher at once, from any process sharing the database.
  const unlisten = hub.db.listen(CHANNELS.deliveries, () => sweeper.wake()).catch((err) => {
    logger.warn({ err }, 'deliveries start at the next poll: could not listen for new ones');
    return undefined;
  });
  return sweeper;
}
