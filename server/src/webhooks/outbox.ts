// The webhook outbox dispatcher. Why it exists: an event is acknowledged (202) as soon as its
// row is committed, and that must hold even while Temporal is unreachable. So:
//
// 1. The request path commits the event (status RECEIVED), answers 202, then records a batch of
//    the events accepted meanwhile (one WebhookDispatch row, which the workflow reads its ids
//    from) and starts its workflow. The events stay RECEIVED until the batch's triage finishes
//    them (or marks DISPATCHED those it routes); the record goes once the batch is done.
//    Normally nothing else happens here.
// 2. If that start failed (Temporal down), the record is deleted and the rows stay RECEIVED.
//    This sweeper, started by every api process, looks every `intervalMs` for RECEIVED rows
//    older than `graceMs` (younger ones are the request path's) that no recorded batch holds,
//    and dispatches up to `batchSize` of them the same way, oldest first: a backlog left by an
//    outage goes back to Temporal thousands at a time, not one workflow start per event. An
//    unreachable Temporal ends the round; the rows wait.
// 3. A record can outlive its purpose: the process died between recording and starting, or the
//    workflow was terminated before its triage. Records older than `staleDispatchMs` are checked
//    with Temporal: one whose workflow is not running is deleted, which hands its events to 2.
//
// Looking for unrecorded events (2) reads every RECEIVED row past the grace period, and while a
// worker catches up on a backlog those are many, all recorded. So it runs when there is reason
// to: at the first round, when the request path of this process failed to dispatch, while the
// last look found some, after a record was dropped — and otherwise every `staleDispatchMs`
// (what a process that died between committing and recording left behind).
//
// It owns no business logic: it only re-tries the dispatch. Retries of the work itself,
// routing, transforms and targets are the workflow's (durable means Temporal); dispatching an
// event twice is harmless (the batch finishes only unfinished events, and an event with
// something to route gets the workflow id `webhook-event/<id>`, REJECT_DUPLICATE).
//
// Several api processes: on PostgreSQL each round claims its rows with
// `SELECT … FOR UPDATE SKIP LOCKED` and records their batch in the same transaction (with the
// feed entries of those a dead process never announced), then starts it, so two processes do not
// start the same events. (PGlite is one process with one connection: no lock is needed there.)
//
// Order: a batch lists its events in (receivedAt, id) order, and routes them in that order; an
// endpoint with `options.ordered` then processes strictly one event at a time (the workflow's
// business). An event waits while an earlier one of its endpoint is in a recorded batch: that
// batch's start may still be retrying (the request path's, while Temporal comes back), and a
// later event must not overtake it.
import { ANNOUNCED_COLUMNS, announceAndRecordDispatchIn, FIRST_IN_FLIGHT, Prisma, type AnnouncedWebhookEvent } from '@patchbay/db';
import { isTemporalReachable, webhookBatchWorkflowId } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { MAX_EVENTS_PER_BATCH, onEventsLeftUndispatched, settleBackgroundWork, startWebhookBatchWorkflow } from './dispatch.ts';
import { startSweeper, type Sweeper } from './sweeper.ts';

export interface OutboxOptions {
  /** Pause between rounds (default 1 s). */
  intervalMs?: number;
  /** Rows younger than this belong to the request path (default 5 s). */
  graceMs?: number;
  /** Events per round, started as one batch workflow (default MAX_EVENTS_PER_BATCH, as the request path's batches). */
  batchSize?: number;
  /**
   * A recorded batch this old (or this long since its last check) has its workflow checked, and
   * unrecorded events are looked for at least this often (default 30 s).
   */
  staleDispatchMs?: number;
}

/** Recorded batches checked with Temporal per round (one describe call each). */
const STALE_CHECKS_PER_ROUND = 20;

export type OutboxDispatcher = Sweeper;

export function startOutboxDispatcher(hub: Hub, options: OutboxOptions = {}): OutboxDispatcher {
  const intervalMs = options.intervalMs ?? 1_000;
  const graceMs = options.graceMs ?? 5_000;
  const batchSize = options.batchSize ?? MAX_EVENTS_PER_BATCH;
  const staleDispatchMs = options.staleDispatchMs ?? 30_000;
  const logger = hub.logger.child({ component: 'webhook-outbox' });
  const { prisma } = hub.db;

  /** When to look for unrecorded events next (see above); 0: at the next round. */
  let nextLookAt = 0;
  /** When the events of the request path's failed dispatches are past the grace period. */
  let failedDue: number[] = [];
  onEventsLeftUndispatched(hub, () => void failedDue.push(Date.now() + graceMs + 1));

  /** Starts the recorded batch's workflow; false when it could not be started now. */
  async function dispatch(workflowId: string, events: number): Promise<boolean> {
    try {
      await startWebhookBatchWorkflow(hub, workflowId);
      return true;
    } catch (err) {
      if (await isTemporalReachable(hub.temporal)) logger.error({ err, events }, 'could not dispatch webhook events; will retry');
      else logger.warn({ pending: events }, 'Temporal is unreachable; webhook events stay in the outbox until it is back');
      return false;
    }
  }

  /**
   * RECEIVED, past the grace period, and before its endpoint's first event in a recorded batch
   * (FIRST_IN_FLIGHT), if it has one: oldest first. That also keeps out every event in a recorded
   * batch (none comes before its endpoint's first), so NOT_IN_FLIGHT is not asked again.
   */
  const waiting = (cutoff: Date, limit: number, lock: Prisma.Sql = Prisma.empty) => Prisma.sql`
    SELECT ${ANNOUNCED_COLUMNS} FROM "WebhookEvent" e
    LEFT JOIN (${FIRST_IN_FLIGHT}) h ON h."endpointId" = e."endpointId"
    WHERE e."status" = 'RECEIVED' AND e."receivedAt" < ${cutoff}
      AND (h."endpointId" IS NULL OR (e."receivedAt", e."id") < (h."receivedAt", h."id"))
    ORDER BY e."receivedAt", e."id"
    LIMIT ${limit} ${lock}`;

  /**
   * Up to batchSize waiting events, announced (their feed entries, if a process died before
   * writing them) and recorded as one batch, committed before its start as the request path does.
   */
  async function claim(cutoff: Date): Promise<{ ids: string[]; workflowId: string } | null> {
    // On PostgreSQL they stay locked until the record commits with them, so that no other process
    // claims them meanwhile (and none does after: they are recorded). An empty claim: another
    // process holds them all. PGlite is one process with one connection: nothing to lock out.
    const lock = hub.db.kind === 'postgres' ? Prisma.sql`FOR UPDATE OF e SKIP LOCKED` : Prisma.empty;
    return prisma.$transaction(async (tx) => {
      const events = await tx.$queryRaw<AnnouncedWebhookEvent[]>(waiting(cutoff, batchSize, lock));
      if (events.length === 0) return null;
      const ids = events.map((event) => event.id);
      const workflowId = webhookBatchWorkflowId(ids, new Date());
      await announceAndRecordDispatchIn(tx, events, { workflowId, eventIds: ids });
      return { ids, workflowId };
    });
  }

  /** Whether the workflow runs: null when Temporal could not say. */
  async function isRunning(workflowId: string): Promise<boolean | null> {
    try {
      // Bounded by the describe's deadline (connectTemporal).
      const { status } = await hub.temporal.client.workflow.getHandle(workflowId).describe();
      return status.name === 'RUNNING';
    } catch (err) {
      return (err as Error)?.name === 'WorkflowNotFoundError' ? false : null;
    }
  }

  /** Deletes stale records whose workflow is not running: their events are waiting again. */
  async function dropStaleDispatches(): Promise<void> {
    const stale = new Date(Date.now() - staleDispatchMs);
    const records = await prisma.webhookDispatch.findMany({
      where: { OR: [{ checkedAt: null, createdAt: { lt: stale } }, { checkedAt: { lt: stale } }] },
      orderBy: { createdAt: 'asc' },
      take: STALE_CHECKS_PER_ROUND,
      select: { workflowId: true },
    });
    for (const { workflowId } of records) {
      const running = await isRunning(workflowId);
      if (running === null) return;
      // Many: its triage may have deleted it meanwhile.
      if (running) {
        await prisma.webhookDispatch.updateMany({ where: { workflowId }, data: { checkedAt: new Date() } });
      } else {
        await prisma.webhookDispatch.deleteMany({ where: { workflowId } });
        nextLookAt = 0;
        logger.warn({ workflowId }, 'a recorded webhook batch has no running workflow; its unfinished events go back to the outbox');
      }
    }
  }

  async function sweep(): Promise<number> {
    await dropStaleDispatches();
    const now = Date.now();
    if (now < nextLookAt && !failedDue.some((due) => due <= now)) return 0;
    // This look covers every failure due by now.
    failedDue = failedDue.filter((due) => due > now);
    const cutoff = new Date(now - graceMs);
    // A probe first, so that finding nothing opens no transaction.
    const any = await prisma.$queryRaw<unknown[]>(waiting(cutoff, 1));
    if (any.length === 0) {
      nextLookAt = now + staleDispatchMs;
      return 0;
    }
    // Found some: look again next round, whether or not they could be dispatched now.
    nextLookAt = 0;
    const batch = await claim(cutoff);
    if (!batch) return 0;
    if (!(await dispatch(batch.workflowId, batch.ids.length))) return 0;
    logger.info({ count: batch.ids.length }, 'dispatched webhook events from the outbox');
    return batch.ids.length;
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
