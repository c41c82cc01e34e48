// The webhook outbox dispatcher. Why it exists: an event is acknowledged (202) as soon as its
// row is committed, and that must hold even while Temporal is unreachable. So:
//
// 1. The request path commits the event (status RECEIVED), answers 202, then starts a workflow
//    for it (with the other events accepted meanwhile) and marks it DISPATCHED. Normally
//    nothing else happens here.
// 2. If that start failed (Temporal down, the process died in between), the row stays
//    RECEIVED. This sweeper, started by every api process, looks every `intervalMs` for
//    RECEIVED rows older than `graceMs` (younger ones are the request path's) and starts one
//    `webhook-batch` workflow for up to `batchSize` of them, oldest first, as the request path
//    does: a backlog left by an outage goes back to Temporal thousands at a time, not one
//    workflow start per event. An unreachable Temporal ends the round; the rows wait.
//
// It owns no business logic: it only re-tries the dispatch. Retries of the work itself,
// routing, transforms and targets are the workflow's (durable means Temporal); dispatching an
// event twice is harmless (the batch finishes only unfinished events, and an event with
// something to route gets the workflow id `webhook-event/<id>`, REJECT_DUPLICATE).
//
// Several api processes: on PostgreSQL each round claims its rows with
// `SELECT … FOR UPDATE SKIP LOCKED` inside a transaction, so two processes never start the same
// batch, and marks them DISPATCHED in the same transaction. PGlite is one process with one
// connection: a plain query is enough there, and a long transaction would block every other
// query of the process.
//
// Order: a batch lists its events in (receivedAt, id) order, and routes them in that order; an
// endpoint with `options.ordered` then processes strictly one event at a time (the workflow's
// business).
import { markWebhookEventsDispatched, markWebhookEventsDispatchedSql } from '@patchbay/db';
import { isTemporalReachable } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { MAX_EVENTS_PER_BATCH, settleBackgroundWork, startWebhookBatchWorkflow } from './dispatch.ts';
import { startSweeper, type Sweeper } from './sweeper.ts';

export interface OutboxOptions {
  /** Pause between rounds (default 1 s). */
  intervalMs?: number;
  /** Rows younger than this belong to the request path (default 5 s). */
  graceMs?: number;
  /** Events per round, started as one batch workflow (default MAX_EVENTS_PER_BATCH, as the request path's batches). */
  batchSize?: number;
}

export type OutboxDispatcher = Sweeper;

export function startOutboxDispatcher(hub: Hub, options: OutboxOptions = {}): OutboxDispatcher {
  const intervalMs = options.intervalMs ?? 1_000;
  const graceMs = options.graceMs ?? 5_000;
  const batchSize = options.batchSize ?? MAX_EVENTS_PER_BATCH;
  const logger = hub.logger.child({ component: 'webhook-outbox' });
  const { prisma } = hub.db;

  /** Starts one batch workflow for these events; false when it could not be started now. */
  async function dispatch(ids: string[]): Promise<boolean> {
    if (ids.length === 0) return false;
    try {
      await startWebhookBatchWorkflow(hub, ids);
      return true;
    } catch (err) {
      if (await isTemporalReachable(hub.temporal)) logger.error({ err, events: ids.length }, 'could not dispatch webhook events; will retry');
      else logger.warn({ pending: ids.length }, 'Temporal is unreachable; webhook events stay in the outbox until it is back');
      return false;
    }
  }

  async function sweepPostgres(cutoff: Date): Promise<number> {
    return prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<Array<{ id: string }>>`
          SELECT "id" FROM "WebhookEvent"
          WHERE "status" = 'RECEIVED' AND "receivedAt" < ${cutoff}
          ORDER BY "receivedAt", "id"
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED`;
        const ids = rows.map((row) => row.id);
        if (!(await dispatch(ids))) return 0;
        // Through the same transaction: the rows are locked by it.
        await tx.$executeRaw(markWebhookEventsDispatchedSql(ids));
        return ids.length;
      },
      { maxWait: 10_000, timeout: 10 * 60_000 },
    );
  }

  async function sweepPglite(cutoff: Date): Promise<number> {
    const rows = await prisma.webhookEvent.findMany({
      where: { status: 'RECEIVED', receivedAt: { lt: cutoff } },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      take: batchSize,
      select: { id: true },
    });
    const ids = rows.map((row) => row.id);
    if (!(await dispatch(ids))) return 0;
    await markWebhookEventsDispatched(hub.db, ids);
    return ids.length;
  }

  async function sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - graceMs);
    // A cheap indexed probe first, so an idle hub opens no transaction.
    const any = await prisma.webhookEvent.findFirst({ where: { status: 'RECEIVED', receivedAt: { lt: cutoff } }, select: { id: true } });
    if (!any) return 0;
    const count = hub.db.kind === 'postgres' ? await sweepPostgres(cutoff) : await sweepPglite(cutoff);
    if (count) logger.info({ count }, 'dispatched webhook events from the outbox');
    return count;
  }

  return startSweeper({
    logger,
    name: 'webhook outbox',
    intervalMs,
    fullRound: batchSize,
    firstRoundMs: intervalMs,
    round: () => sweep(),
    onStop: () => settleBackgroundWork(hub),
  });
}
