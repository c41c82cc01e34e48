// Rows whose workflow some process still has to start — outgoing deliveries, queued flow runs —
// written by code that cannot reach Temporal (fan-out inside a database transaction, activities
// of other workflows). Every api process runs one of these per kind: it starts the workflows of
// pending rows, wakes at once on the kind's NOTIFY, and sweeps every `intervalMs` anyway.
// Starting twice (two api processes, a slow worker) is harmless: workflow ids derive from rows.
import { isTemporalReachable } from '@patchbay/workflows';
import type { Hub } from './context.ts';
import type { OutboxDispatcher, OutboxOptions } from './webhooks/outbox.ts';
import { startSweeper } from './webhooks/sweeper.ts';

export interface WorkflowOutbox {
  /** Names the dispatcher in logs ("delivery", "flow run"). */
  name: string;
  /** The NOTIFY channel that announces new rows. */
  channel: string;
  /** Pending row ids, oldest first, leaving out those this process started recently. */
  pending(limit: number, startedRecently: string[]): Promise<string[]>;
  start(id: string): Promise<unknown>;
  /**
   * Starts one workflow for many rows at once (used instead of `start` when given). A wake-up
   * then waits `coalesceMs` for more rows, so a burst makes full batches; under steady load, at
   * least `minIntervalMs` from the last round that started some (see SweeperOptions).
   */
  startMany?: { size: number; coalesceMs: number; minIntervalMs?: number; start(ids: string[]): Promise<unknown> };
  /** After a round, the rows started (e.g. to mark them dispatched). */
  started?(ids: string[]): Promise<unknown>;
}

/** Workflow starts in flight at once. */
const START_CONCURRENCY = 16;

/** Started within this window: not started again by this process (its worker may just be slow). */
const RECENTLY_STARTED_MS = 60_000;

export function startWorkflowOutbox(hub: Hub, outbox: WorkflowOutbox, options: OutboxOptions = {}): OutboxDispatcher {
  const intervalMs = options.intervalMs ?? 1_000;
  const batchSize = options.batchSize ?? 100;
  const logger = hub.logger.child({ component: `${outbox.name.replace(/\s+/g, '-')}-dispatcher` });
  const recent = new Map<string, number>();

  async function sweep(isStopped: () => boolean): Promise<number> {
    const now = Date.now();
    for (const [id, at] of recent) if (now - at > RECENTLY_STARTED_MS) recent.delete(id);
    const ids = await outbox.pending(batchSize, [...recent.keys()]);
    const started: string[] = [];
    const many = outbox.startMany;
    const groups: string[][] = [];
    for (let i = 0; i < ids.length; i += many?.size ?? 1) groups.push(ids.slice(i, i + (many?.size ?? 1)));
    let next = 0;
    let unreachable = false;
    // Rows are independent of each other: their workflows start side by side.
    const starter = async () => {
      while (next < groups.length && !unreachable && !isStopped()) {
        const group = groups[next++]!;
        try {
          await (many ? many.start(group) : outbox.start(group[0]!));
          for (const id of group) recent.set(id, Date.now());
          started.push(...group);
        } catch (err) {
          if (!(await isTemporalReachable(hub.temporal))) {
            if (!unreachable) logger.warn({ pending: ids.length - started.length }, `Temporal is unreachable; ${outbox.name}s wait until it is back`);
            unreachable = true;
            return;
          }
          logger.error({ err, ids: group }, `could not start a ${outbox.name}; will retry`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, groups.length) }, starter));
    if (started.length) {
      await outbox.started?.(started);
      logger.debug({ started: started.length }, `started ${outbox.name} workflows`);
    }
    return started.length;
  }

  const sweeper = startSweeper({ logger, name: `${outbox.name} dispatcher`, intervalMs, firstRoundMs: 0, round: sweep, fullRound: batchSize, coalesceMs: outbox.startMany?.coalesceMs, minIntervalMs: outbox.startMany?.minIntervalMs, onStop: () => unlisten.then((stop) => stop?.()) });
  // New rows wake the dispatcher at once, from any process sharing the database.
  const unlisten = hub.db.listen(outbox.channel, () => sweeper.wake()).catch((err) => {
    logger.warn({ err }, `${outbox.name}s start at the next poll: could not listen for new ones`);
    return undefined;
  });
  return sweeper;
}
