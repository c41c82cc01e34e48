// The webhook outbox dispatcher. Why it exists: an event is acknowledged (202) as soon as its
// row is committed, and that must hold even while Temporal is unreachable. So:
//
// 1. The request path commits the event (status RECEIVED), answers 202, then tries to start
//    its workflow right away and marks it DISPATCHED. Normally nothing else happens here.
// 2. If that start failed (Temporal down, the process died in between), the row stays
//    RECEIVED. This sweeper, started by every api process, looks every `intervalMs` for
//    RECEIVED rows older than `graceMs` (younger ones are the request path's) and starts their
//    workflows, oldest first; a failure for one endpoint skips that endpoint's later events in
//    the round so its order holds, and an unreachable Temporal ends the round.
//
// It owns no business logic: it only re-tries the dispatch. Retries of the work itself,
// routing, transforms and targets are the workflow's (durable means Temporal); starting the
// same event twice is harmless (the workflow id is derived from the event, REJECT_DUPLICATE).
//
// Several api processes: on PostgreSQL each round claims its rows with
// `SELECT … FOR UPDATE SKIP LOCKED` inside a transaction, so two processes never start the same
// batch, and marks them DISPATCHED in the same transaction. PGlite is one process with one
// connection: a plain query is enough there, and a long transaction would block every other
// query of the process.
//
// Order: rows are dispatched in (receivedAt, id) order per endpoint. Processing order is the
// workflow's business: endpoints with `options.ordered` process strictly one event at a time.
import { markWebhookEventsDispatched, markWebhookEventsDispatchedSql } from '@patchbay/db';
import { isTemporalReachable } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { settleBackgroundWork, startWebhookEventWorkflow } from './dispatch.ts';
import { startSweeper, type Sweeper } from './sweeper.ts';

export interface OutboxOptions {
  /** Pause between rounds (default 1 s). */
  intervalMs?: number;
  /** Rows younger than this belong to the request path (default 5 s). */
  graceMs?: number;
  /** Rows per round (default 100). */
  batchSize?: number;
}

export type OutboxDispatcher = Sweeper;

interface Pending {
  id: string;
  endpointId: string;
}

export function startOutboxDispatcher(hub: Hub, options: OutboxOptions = {}): OutboxDispatcher {
  const intervalMs = options.intervalMs ?? 1_000;
  const graceMs = options.graceMs ?? 5_000;
  const batchSize = options.batchSize ?? 100;
  const logger = hub.logger.child({ component: 'webhook-outbox' });
  const { prisma } = hub.db;
  /** Set by the sweeper: true once stop() was called, so a long round ends early. */
  let isStopped = () => false;

  /** Starts each event's workflow in order; returns the ids started. */
  async function dispatchInOrder(rows: Pending[]): Promise<string[]> {
    const started: string[] = [];
    const blocked = new Set<string>();
    for (const row of rows) {
      if (isStopped()) break;
      if (blocked.has(row.endpointId)) continue;
      try {
        await startWebhookEventWorkflow(hub, row.id);
        started.push(row.id);
      } catch (err) {
        blocked.add(row.endpointId);
        if (!(await isTemporalReachable(hub.temporal))) {
          logger.warn({ pending: rows.length - started.length }, 'Temporal is unreachable; webhook events stay in the outbox until it is back');
          break;
        }
        logger.error({ err, eventId: row.id }, 'could not dispatch a webhook event; will retry');
      }
    }
    return started;
  }

  async function sweepPostgres(cutoff: Date): Promise<number> {
    return prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<Pending[]>`
          SELECT "id", "endpointId" FROM "WebhookEvent"
          WHERE "status" = 'RECEIVED' AND "receivedAt" < ${cutoff}
          ORDER BY "receivedAt", "id"
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED`;
        const started = await dispatchInOrder(rows);
        // Through the same transaction: the rows are locked by it.
        if (started.length) {
          await tx.$executeRaw(markWebhookEventsDispatchedSql(started));
        }
        return started.length;
      },
      { maxWait: 10_000, timeout: 10 * 60_000 },
    );
  }

  async function sweepPglite(cutoff: Date): Promise<number> {
    const rows = await prisma.webhookEvent.findMany({
      where: { status: 'RECEIVED', receivedAt: { lt: cutoff } },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      take: batchSize,
      select: { id: true, endpointId: true },
    });
    const started = await dispatchInOrder(rows);
    await markWebhookEventsDispatched(hub.db, started);
    return started.length;
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
    round: (stopped) => {
      isStopped = stopped;
      return sweep();
    },
    onStop: () => settleBackgroundWork(hub),
  });
}
