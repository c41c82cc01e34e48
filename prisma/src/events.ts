// Live events over the database itself: a row is the durable record, a NOTIFY tells every
// process (api replicas, workers) that it exists. Payloads carry ids only, never data, so
// the 8 kB NOTIFY limit and secrets are non-issues; listeners load the row they are allowed to see.
import { fanOut, INSERT_DELIVERIES_FROM_EV, type FanoutEvent } from './fanout.ts';
import { createFlowRuns, flowRunsForEvents, type FlowRunRequest } from './flow-runs.ts';
import { sortableId } from './ids.ts';
import type { Database } from './index.ts';
import { Prisma, type ActivityEvent } from '../generated/client/client.ts';

export const CHANNELS = {
  activity: 'patchbay_activity',
  run: 'patchbay_run',
  /** New PENDING deliveries exist: the api's delivery dispatcher starts them now, not at its next poll. */
  deliveries: 'patchbay_deliveries',
  /** New FLOW runs wait in the outbox: the api's flow-run dispatcher starts them now. */
  flowRuns: 'patchbay_flow_runs',
} as const;

/** The most entry ids one notice carries: well under NOTIFY's 8,000-byte payload limit (ids are ~26 characters). */
const NOTICE_IDS = 100;

/**
 * What follows a CTE named `ev` holding feed entries just written, as more CTEs of the same
 * statement: their notices, their outgoing-webhook Deliveries (fanout.ts) and the delivery
 * dispatcher's wake-up. Side-effect CTEs run only when read: select SENT_AFTER_EV too.
 */
export const FAN_OUT_AFTER_EV = Prisma.sql`notices AS (
      -- One notice per organization, type and NOTICE_IDS entries, not one per entry: a batch of
      -- 2,000 incoming webhooks' entries queued 2,000 notifications, each a step of the commit.
      SELECT pg_notify(${CHANNELS.activity}, json_build_object('ids', array_agg("id" ORDER BY "id"), 'orgId', "orgId", 'type', "type")::text)
      FROM (SELECT "id", "orgId", "type", (row_number() OVER (ORDER BY "id") - 1) / ${Prisma.raw(String(NOTICE_IDS))} AS "chunk" FROM ev) AS n
      GROUP BY "orgId", "type", "chunk"
    ), deliveries AS (
      ${INSERT_DELIVERIES_FROM_EV}
      RETURNING "orgId"
    ), wake AS (
      SELECT pg_notify(${CHANNELS.deliveries}, json_build_object('id', '', 'orgId', min("orgId"))::text) FROM deliveries HAVING count(*) > 0
    )`;
export const SENT_AFTER_EV = Prisma.sql`((SELECT count(*) FROM notices) + (SELECT count(*) FROM wake))::int`;

/** A condition on "Flow": enabled, not deleted, started by domain events (whose runs flowRunsForEvents decides). */
export const EVENT_FLOW = Prisma.sql`"triggerType" = 'EVENT' AND "enabled" AND "deletedAt" IS NULL`;

export interface ChangeNotice {
  id: string;
  orgId: string;
  /** Activity notices carry the event type, so subscribers skip unrelated events without a read. */
  type?: string;
}

export interface ActivityInput {
  orgId: string;
  type: string;
  message: string;
  level?: 'debug' | 'info' | 'warn' | 'error';
  data?: Prisma.InputJsonValue;
  connectionId?: string | null;
  runId?: string | null;
}

/**
 * One feed entry, its notice, and its outgoing-webhook Deliveries (with the dispatcher's
 * wake-up), all in one transaction: one commit for the lot.
 */
export async function recordActivity(db: Database, event: ActivityInput) {
  const [row] = await recordActivities(db, [event]);
  return row!;
}

/**
 * Several feed entries in one transaction: one commit (one disk flush) for all of them, their
 * notices sent at that commit.
 */
export async function recordActivities(db: Database, events: ActivityInput[]) {
  if (events.length === 0) return [];
  // Most entries start no flow: then one statement does it all (one round trip, one commit).
  const written = await writeAndFanOutAtOnce(db, events);
  if (written) return written;
  return db.prisma.$transaction(async (tx) => {
    const rows = await writeActivities(tx, events);
    await fanOutActivities(tx, rows);
    return rows;
  });
}

export type Transaction = Parameters<Parameters<Database['prisma']['$transaction']>[0]>[0];

/**
 * writeActivities + fanOutActivities as one statement: the entries, their notices, the
 * Deliveries of every matching enabled subscription (fanout.ts) and the delivery dispatcher's wake-up. When an enabled flow of these organizations
 * is triggered by domain events, it writes nothing and answers null: flow runs are queued in
 * the entries' transaction, by the general path.
 */
async function writeAndFanOutAtOnce(db: Database, events: ActivityInput[]): Promise<ActivityEvent[] | null> {
  const now = Date.now();
  const ids = events.map(() => sortableId(now));
  const ats = events.map(() => new Date(now).toISOString());
  const rows = await db.prisma.$queryRaw<Array<Record<string, unknown>>>`
    WITH flows AS (
      SELECT EXISTS (SELECT 1 FROM "Flow" WHERE "orgId" = ANY(${[...new Set(events.map((e) => e.orgId))]}::text[]) AND ${EVENT_FLOW}) AS found
    ), ev AS (
      INSERT INTO "ActivityEvent" ("id", "orgId", "type", "level", "message", "data", "connectionId", "runId", "at")
      SELECT * FROM unnest(
        ${ids}::text[], ${events.map((e) => e.orgId)}::text[], ${events.map((e) => e.type)}::text[], ${events.map((e) => e.level ?? 'info')}::text[],
        ${events.map((e) => e.message)}::text[], (${events.map((e) => (e.data === undefined || e.data === null ? null : JSON.stringify(e.data)))}::text[])::jsonb[],
        ${events.map((e) => e.connectionId ?? null)}::text[], ${events.map((e) => e.runId ?? null)}::text[], (${ats}::text[])::timestamp(3)[])
      WHERE NOT (SELECT found FROM flows)
      RETURNING *
    ), ${FAN_OUT_AFTER_EV}
    SELECT ev.*, ${SENT_AFTER_EV} AS "_sent" FROM ev`;
  if (rows.length === 0) return null;
  const byId = new Map(rows.map((row) => [row.id as string, row]));
  return ids.map((id) => {
    const { _sent, ...row } = byId.get(id)!;
    void _sent;
    return row as unknown as ActivityEvent;
  });
}

/**
 * Feed entries written inside the caller's transaction (so a state change and its entry commit
 * together); call fanOutActivities with the rows once it has committed.
 */
export async function writeActivities(tx: Transaction, events: ActivityInput[]) {
  if (events.length === 0) return [];
  const created = await tx.activityEvent.createManyAndReturn({
    data: events.map((event) => ({
      orgId: event.orgId,
      type: event.type,
      message: event.message,
      level: event.level ?? 'info',
      data: event.data,
      connectionId: event.connectionId ?? null,
      runId: event.runId ?? null,
    })),
  });
  const notices = created.map((row) => JSON.stringify({ id: row.id, orgId: row.orgId, type: row.type }));
  await tx.$executeRaw`SELECT pg_notify(${CHANNELS.activity}, notice) FROM unnest(${notices}::text[]) AS notice`;
  return created;
}

/**
 * Outgoing webhooks for feed entries, and a wake-up for the delivery dispatcher (a NOTIFY is
 * sent when its transaction commits). Call it inside the transaction that wrote the entries.
 */
export async function fanOutActivities(tx: Transaction, rows: FanoutEvent[]): Promise<void> {
  const deliveries = await fanOut(tx, rows);
  if (deliveries > 0) await tx.$executeRaw`SELECT pg_notify(${CHANNELS.deliveries}, ${JSON.stringify({ id: rows[0]!.id, orgId: rows[0]!.orgId })})`;
  // Flows triggered by domain events: their runs are queued in the same transaction.
  await queueFlowRunsWithEntries(tx, await flowRunsForEvents(tx, rows));
}

/**
 * Queues flow runs (see flow-runs.ts) inside the caller's transaction, with their `run.queued`
 * entries (which fan out in turn, depth-bounded) and the dispatcher's wake-up; answers the runs
 * created now (a repeated trigger creates none).
 */
export async function queueFlowRunsWithEntries(tx: Transaction, requests: FlowRunRequest[]) {
  const runs = await createFlowRuns(tx, requests);
  if (runs.length === 0) return runs;
  const entries = await writeActivities(tx, runs.map((run) => runEventEntry(run, 'queued')));
  await fanOutActivities(tx, entries);
  if (runs.some((run) => !run.dispatchedAt)) await tx.$executeRaw`SELECT pg_notify(${CHANNELS.flowRuns}, ${JSON.stringify({ id: runs[0]!.id, orgId: runs[0]!.orgId })})`;
  return runs;
}

export type RunEventVerb = 'queued' | 'started' | 'succeeded' | 'failed' | 'cancelled';

/** The activity-feed entry for a run's transition (`run.queued`, `run.started`, …). */
export interface RunEventSubject {
  id: string;
  orgId: string;
  kind: string;
  action: string | null;
  connectionId: string | null;
  attempts?: number;
  flowId?: string | null;
  triggerDepth?: number;
}

export async function recordRunEvent(db: Database, run: RunEventSubject, verb: RunEventVerb, error?: string | null) {
  return recordActivity(db, runEventEntry(run, verb, error));
}

/** The feed entry of a run's transition; a flow run's names its flow and chain depth (see flow-runs.ts). */
export function runEventEntry(run: RunEventSubject, verb: RunEventVerb, error?: string | null): ActivityInput {
  return {
    orgId: run.orgId,
    type: `run.${verb}`,
    level: verb === 'failed' ? 'error' : 'info',
    message: `Run of ${run.action ?? run.kind.toLowerCase()} ${verb}${error ? `: ${error}` : ''}`,
    runId: run.id,
    connectionId: run.connectionId,
    data: {
      kind: run.kind,
      action: run.action,
      ...(run.attempts !== undefined ? { attempts: run.attempts } : {}),
      ...(run.flowId ? { flowId: run.flowId, flowDepth: run.triggerDepth ?? 0 } : {}),
    },
  };
}

export async function announceRunChange(db: Database, notice: ChangeNotice) {
  await notify(db, CHANNELS.run, notice);
}

async function notify(db: Database, channel: string, notice: ChangeNotice) {
  await db.prisma.$executeRaw`SELECT pg_notify(${channel}, ${JSON.stringify(notice)})`;
}

/**
 * An async iterator of the change notices on `channel` for one organization. Notices that
 * arrive while the consumer is busy are queued, so none is dropped.
 */
export async function watchChannel(
  db: Database,
  channel: string,
  orgId: string,
  signal?: AbortSignal,
): Promise<AsyncIterableIterator<ChangeNotice>> {
  const queue: ChangeNotice[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const unlisten = await db.listen(channel, (payload) => {
    const notices = parseNotices(payload).filter((notice) => notice.orgId === orgId);
    if (notices.length) {
      queue.push(...notices);
      wake?.();
    }
  });
  const finish = async () => {
    if (done) return;
    done = true;
    wake?.();
    await unlisten();
  };
  signal?.addEventListener('abort', () => void finish(), { once: true });

  const iterator: AsyncIterableIterator<ChangeNotice> = {
    async next() {
      while (!done) {
        const notice = queue.shift();
        if (notice) return { value: notice, done: false };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      return { value: undefined, done: true };
    },
    async return() {
      await finish();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** A notice names one row (`id`) or several of one organization and type (`ids`); anything else is ignored. */
function parseNotices(payload: string): ChangeNotice[] {
  let value: Partial<ChangeNotice> & { ids?: unknown };
  try {
    value = JSON.parse(payload);
  } catch {
    return [];
  }
  const { orgId, type } = value;
  if (typeof orgId !== 'string') return [];
  const ids = typeof value.id === 'string' ? [value.id] : Array.isArray(value.ids) ? value.ids.filter((id): id is string => typeof id === 'string') : [];
  return ids.map((id) => ({ id, orgId, ...(typeof type === 'string' ? { type } : {}) }));
}
