// Storing accepted incoming webhooks, many at once, in one statement (a group commit: one round
// trip and one disk flush for every request waiting on it; a second statement when something in
// the batch conflicts, see storeWebhookEvents), and announcing them afterwards: their
// `webhook.received` feed entries are written with the record of the batch that dispatches them
// (announceWebhookEvents), off the path every acknowledgement waits on.
import { EVENT_FLOW, FAN_OUT_AFTER_EV, queueFlowRunsWithEntries, SENT_AFTER_EV, type Transaction } from './events.ts';
import type { FanoutEvent } from './fanout.ts';
import { flowRunsForEvents } from './flow-runs.ts';
import { sortableId } from './ids.ts';
import type { Database } from './index.ts';
import { Prisma } from '../generated/client/client.ts';

export interface NewWebhookEvent {
  orgId: string;
  endpointId: string;
  dedupeKey: string | null;
  headers: Record<string, string>;
  rawBody: string;
  contentType: string | null;
  verification: string;
}

export interface StoredWebhookEvents {
  /**
   * Per input, in order: the new row's id; null when it duplicated a stored event; 'gone' when its
   * endpoint no longer exists (deleted since the caller read it, by another api process say).
   */
  ids: Array<string | null | 'gone'>;
  /** The new rows' receivedAt (one statement, one time), as PostgreSQL writes a timestamp(3): for announcing them. */
  receivedAt: string;
}

/** The database's time in UTC to the millisecond, as the timestamp(3) columns hold it. */
const NOW_UTC = Prisma.sql`(now() AT TIME ZONE 'UTC')::timestamp(3)`;

/**
 * How long the checked statement is used alone after the plain one met a conflict: a sender
 * redelivering in a burst (or endpoints being deleted under load) costs one failed statement per
 * window, not one per batch, and PostgreSQL logs one error per window.
 */
const CHECKED_WINDOW_MS = 10_000;
/** Per database: until when batches go straight to the checked statement. */
const checkedUntil = new WeakMap<Database, number>();

/**
 * Stores the batch with a plain INSERT when nothing in it conflicts, which is nearly always; a
 * duplicate (or an event of an endpoint deleted since the request read it) makes that statement
 * fail whole, writing nothing, and the batch goes again through the checked statement, which
 * leaves such rows out. The checks (ON CONFLICT, a lock per endpoint, the report of skipped rows)
 * were a fifth of PostgreSQL's CPU per stored event (measured on the bench's batches of 19: 33 µs
 * an event checked, 24 plain), paid by every request the group commit holds.
 */
export async function storeWebhookEvents(db: Database, events: NewWebhookEvent[]): Promise<StoredWebhookEvents> {
  if (events.length === 0) return { ids: [], receivedAt: '' };
  const now = Date.now();
  const ids = events.map(() => sortableId(now));
  // The events travel as one JSON parameter, a row per event: JSON.stringify is native, where
  // text arrays would be escaped element by element in JavaScript, and the headers go as JSON
  // objects rather than as escaped JSON text.
  const rows = JSON.stringify(events.map((e, i) => [ids[i], e.orgId, e.endpointId, e.dedupeKey, e.headers, e.rawBody, e.contentType, e.verification]));
  if (now >= (checkedUntil.get(db) ?? 0)) {
    try {
      const [result] = await db.sql<{ receivedAt: string }>(insertWebhookEventsSql(rows), { prepare: 'patchbay_insert_webhook_events' });
      return { ids, receivedAt: result!.receivedAt };
    } catch (err) {
      if (!isConflict(err)) throw err;
      checkedUntil.set(db, Date.now() + CHECKED_WINDOW_MS);
    }
  }
  return storeWebhookEventsChecked(db, ids, rows);
}

/** A unique violation (a duplicate message id) or a foreign-key violation (an endpoint gone). */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === '23503';
}

/** The rows of the JSON parameter, as the columns they fill. */
const INPUT_ROWS = Prisma.sql`
  SELECT r->>0 AS "id", r->>1 AS "orgId", r->>2 AS "endpointId", r->>3 AS "dedupeKey", r->4 AS "headers", r->>5 AS "rawBody", r->>6 AS "contentType", r->>7 AS "verification"`;
const EVENT_COLUMNS = Prisma.sql`"id", "orgId", "endpointId", "dedupeKey", "headers", "rawBody", "contentType", "verification", "receivedAt"`;

/** Every row, or (on any conflict) none: the statement fails. */
function insertWebhookEventsSql(rows: string): Prisma.Sql {
  return Prisma.sql`
    WITH t AS (SELECT ${NOW_UTC} AS "at"),
    inserted AS (
      INSERT INTO "WebhookEvent" (${EVENT_COLUMNS})
      SELECT u.*, t."at" FROM (${INPUT_ROWS} FROM jsonb_array_elements(${rows}::jsonb) AS r) AS u, t
    )
    SELECT t."at"::text AS "receivedAt" FROM t`;
}

/** The batch, leaving out duplicates and the events of endpoints that are gone, and saying which they were. */
async function storeWebhookEventsChecked(db: Database, ids: string[], rows: string): Promise<StoredWebhookEvents> {
  const [result] = await db.sql<{ skipped: string[] | null; gone: string[] | null; receivedAt: string }>(Prisma.sql`
    WITH input AS (
      ${INPUT_ROWS} FROM jsonb_array_elements(${rows}::jsonb) AS r
    ), endpoints AS (
      -- Locked once per endpoint, not once per row: a concurrent delete waits for this commit (and
      -- then cascades to these events), and one that committed first leaves its events out here
      -- rather than failing the whole group commit on the foreign key.
      SELECT "id" FROM "WebhookEndpoint" WHERE "id" IN (SELECT "endpointId" FROM input) FOR KEY SHARE
    ), inserted AS (
      INSERT INTO "WebhookEvent" (${EVENT_COLUMNS})
      SELECT u.*, ${NOW_UTC} FROM input AS u WHERE u."endpointId" IN (SELECT "id" FROM endpoints)
      ON CONFLICT ("endpointId", "dedupeKey") DO NOTHING
      RETURNING "id"
    )
    -- One row whatever the batch size: the ids left out as duplicates, those whose endpoint is gone (usually none), the time.
    SELECT (SELECT array_agg(u."id") FROM input u WHERE u."id" NOT IN (SELECT "id" FROM inserted)) AS "skipped",
      (SELECT array_agg(u."id") FROM input u WHERE u."endpointId" NOT IN (SELECT "id" FROM endpoints)) AS "gone",
      ${NOW_UTC}::text AS "receivedAt"`, { prepare: 'patchbay_store_webhook_events' });
  const skipped = new Set(result!.skipped ?? []);
  const gone = new Set(result!.gone ?? []);
  return { ids: ids.map((id) => (gone.has(id) ? 'gone' : skipped.has(id) ? null : id)), receivedAt: result!.receivedAt };
}

/** What a stored event's `webhook.received` feed entry is made of. */
export interface AnnouncedWebhookEvent {
  id: string;
  endpointId: string;
  dedupeKey: string | null;
  verification: string;
  /** The event's receivedAt as PostgreSQL gives a timestamp(3) as text (StoredWebhookEvents.receivedAt). */
  receivedAt: string;
}

/** The columns of stored events that announceWebhookEvents needs, for a query over `"WebhookEvent" e`. */
export const ANNOUNCED_COLUMNS = Prisma.sql`e."id", e."endpointId", e."dedupeKey", e."verification", e."receivedAt"::text AS "receivedAt"`;

/**
 * The `webhook.received` feed entries of stored events, inside the caller's transaction (the one
 * recording their dispatch), with their notices and outgoing-webhook Deliveries, in one statement;
 * and, in organizations with flows triggered by domain events, those flows' runs. An entry shares
 * its event's id and time, so the feed orders it where the event arrived, and announcing an event
 * twice (the outbox dispatching again what a dead process had announced) writes nothing the
 * second time.
 *
 * The entries are made from what the caller already holds (the request path, from what it
 * stored; the outbox, from the rows it claimed) rather than by reading back the events: on the
 * ingest path that read, with its sort, was a tenth of the statement. An event whose endpoint
 * is gone (and the event with it, by cascade) gets no entry.
 */
export async function announceWebhookEvents(tx: Transaction, events: AnnouncedWebhookEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = await tx.$queryRaw<AnnounceRow[]>(announceSql(events));
  const entries = flowEntries(rows);
  if (entries.length) await queueFlowRunsWithEntries(tx, await flowRunsForEvents(tx, entries));
}

/**
 * announceWebhookEvents and recordWebhookDispatchSql in one transaction, as the request path does
 * for each batch it dispatches: straight on the driver (db.sqlTransaction) when no flow may start
 * from these entries (the usual case), else through Prisma, whose transaction the flow runs are
 * queued in. Prisma's interactive transaction, with the batch's five arrays of up to 2,000 ids and
 * texts as parameters, was a tenth of the api thread's work per request (bench:ingest, api thread
 * per request: 125-140 µs through Prisma, 110-112 on the driver).
 */
export async function announceAndRecordDispatch(db: Database, events: AnnouncedWebhookEvent[], dispatch: BatchDispatch | null): Promise<void> {
  try {
    await db.sqlTransaction(async (sql) => {
      // Asked first, so that organizations with such flows do not have their entries written twice.
      if ((await sql(eventFlowsOfEndpointsSql(events))).length) throw new FlowsToQueue();
      // One enabled since: its entries come back, and the whole goes the same way.
      if (events.length && flowEntries(await sql<AnnounceRow>(announceSql(events))).length) throw new FlowsToQueue();
      if (dispatch) await sql(recordWebhookDispatchSql(dispatch.workflowId, dispatch.eventIds));
    });
    return;
  } catch (err) {
    if (!(err instanceof FlowsToQueue)) throw err;
  }
  // Rolled back (notices and Deliveries included, if any): all of it through Prisma.
  await db.prisma.$transaction((tx) => announceAndRecordDispatchIn(tx, events, dispatch));
}

/** A batch's workflow and the events it carries (recordWebhookDispatchSql). */
export interface BatchDispatch {
  workflowId: string;
  eventIds: string[];
}

/** announceAndRecordDispatch inside the caller's Prisma transaction (the outbox claims its events in it). */
export async function announceAndRecordDispatchIn(tx: Transaction, events: AnnouncedWebhookEvent[], dispatch: BatchDispatch | null): Promise<void> {
  await announceWebhookEvents(tx, events);
  if (dispatch) await tx.$executeRaw(recordWebhookDispatchSql(dispatch.workflowId, dispatch.eventIds));
}

/** A row when an organization owning one of these events' endpoints has a flow started by domain events. */
function eventFlowsOfEndpointsSql(events: AnnouncedWebhookEvent[]): Prisma.Sql {
  const endpointIds = [...new Set(events.map((e) => e.endpointId))];
  return Prisma.sql`
    SELECT 1 FROM "Flow" WHERE "orgId" IN (SELECT "orgId" FROM "WebhookEndpoint" WHERE "id" = ANY(${endpointIds}::text[])) AND ${EVENT_FLOW} LIMIT 1`;
}

/** Thrown inside the driver's transaction to roll it back: flow runs are queued through Prisma. */
class FlowsToQueue extends Error {}

/** What the announcing statement returns: entries only when a flow may start from them, else one row of nulls. */
type AnnounceRow = { [K in keyof FanoutEvent]: FanoutEvent[K] | null } & { sent: number };

function flowEntries(rows: AnnounceRow[]): Array<FanoutEvent & { sent: number }> {
  return rows.filter((row): row is FanoutEvent & { sent: number } => row.id !== null);
}

/** The statement announcing the events, run by either transaction. */
function announceSql(events: AnnouncedWebhookEvent[]): Prisma.Sql {
  // The entries come back only when a flow may start from them (usually none do).
  return Prisma.sql`
    WITH ev AS (
      INSERT INTO "ActivityEvent" ("id", "orgId", "type", "level", "message", "data", "at")
      SELECT e."id", p."orgId", 'webhook.received', 'info', 'Webhook received on "' || p."name" || '" (' || e."verification" || ')',
        jsonb_build_object('endpointId', e."endpointId", 'eventId', e."id", 'verification', e."verification")
          || CASE WHEN e."dedupeKey" IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('messageId', e."dedupeKey") END,
        e."at"::timestamp(3)
      FROM unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.endpointId)}::text[], ${events.map((e) => e.dedupeKey)}::text[],
        ${events.map((e) => e.verification)}::text[], ${events.map((e) => e.receivedAt)}::text[]) AS e("id", "endpointId", "dedupeKey", "verification", "at")
      JOIN "WebhookEndpoint" p ON p."id" = e."endpointId"
      ON CONFLICT ("id") DO NOTHING
      RETURNING *
    ), flows AS (
      SELECT DISTINCT "orgId" FROM "Flow" WHERE "orgId" IN (SELECT "orgId" FROM ev) AND ${EVENT_FLOW}
    ), ${FAN_OUT_AFTER_EV}
    -- Reading SENT_AFTER_EV runs the notices; one row of nulls carries it when no entry comes back.
    SELECT ev."id", ev."orgId", ev."type", ev."message", ev."at", ev."data", ev."runId", ev."connectionId", ${SENT_AFTER_EV} AS "sent"
    FROM ev WHERE ev."orgId" IN (SELECT "orgId" FROM flows)
    UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ${SENT_AFTER_EV} WHERE NOT EXISTS (SELECT 1 FROM flows)`;
}

/** For redeliveries: the stored event of each (endpoint, provider message id). */
export async function storedWebhookEventIds(db: Database, keys: Array<{ endpointId: string; dedupeKey: string }>): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await db.sql<{ id: string; endpointId: string; dedupeKey: string }>(Prisma.sql`
    SELECT "id", "endpointId", "dedupeKey" FROM "WebhookEvent"
    WHERE ("endpointId", "dedupeKey") IN (SELECT * FROM unnest(${keys.map((k) => k.endpointId)}::text[], ${keys.map((k) => k.dedupeKey)}::text[]))`);
  return new Map(rows.map((row) => [dedupeMapKey(row.endpointId, row.dedupeKey), row.id]));
}

export function dedupeMapKey(endpointId: string, dedupeKey: string): string {
  return `${endpointId}\u0000${dedupeKey}`;
}

/**
 * A batch about to be handed to Temporal: one WebhookDispatch row naming its workflow and events,
 * committed before the start. Its events stay RECEIVED (no update of each row: on the ingest path
 * that update cost about as much database CPU as storing the event); the row tells the outbox they
 * are in flight, and the batch's triage deletes it.
 */
export function recordWebhookDispatchSql(workflowId: string, eventIds: string[]): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "WebhookDispatch" ("workflowId", "eventIds", "createdAt")
    VALUES (${workflowId}, ${eventIds}::text[], ${NOW_UTC})
    ON CONFLICT ("workflowId") DO NOTHING`;
}

/** The batch is no longer in flight: its workflow was not started, or its triage is done. */
export function forgetWebhookDispatchSql(workflowId: string): Prisma.Sql {
  return Prisma.sql`DELETE FROM "WebhookDispatch" WHERE "workflowId" = ${workflowId}`;
}

/** The ids of every event in a batch in flight. */
const IN_FLIGHT_IDS = Prisma.sql`SELECT unnest(d."eventIds") FROM "WebhookDispatch" d`;

/**
 * A condition on a WebhookEvent aliased `e`: it is in no batch in flight. (A hashed set of the
 * few in-flight batches' ids, not a scan of each batch per event.)
 */
export const NOT_IN_FLIGHT = Prisma.sql`e."id" NOT IN (${IN_FLIGHT_IDS})`;

/**
 * Per endpoint, its earliest event still RECEIVED in a batch in flight: "endpointId", "receivedAt",
 * "id". The outbox holds the endpoint's later events back until that batch has taken it on, so
 * that they are not dispatched before it (its start may still be on its way, as the request
 * path's is while Temporal comes back). Found by primary key: the status is compared as text (see
 * markWebhookEventsDispatchedSql).
 */
export const FIRST_IN_FLIGHT = Prisma.sql`
  SELECT DISTINCT ON (f."endpointId") f."endpointId", f."receivedAt", f."id"
  FROM "WebhookEvent" f
  WHERE f."id" IN (${IN_FLIGHT_IDS}) AND f."status"::text = 'RECEIVED'
  ORDER BY f."endpointId", f."receivedAt", f."id"`;

/**
 * RECEIVED → DISPATCHED (only from RECEIVED: it may be further along): by a batch's triage for the
 * events it routes, and by an event's workflow when it begins. A statement of its own, for
 * callers inside a transaction.
 *
 * The rows are found by primary key alone: the status is compared as text, so the planner can
 * never use the (status, receivedAt) index here. With statistics taken before a backlog of
 * RECEIVED rows grew (a Temporal outage, a young table), PostgreSQL chose that index, reading
 * every RECEIVED entry and testing each against the id list: marking 2,000 events took 9.9 s
 * with 371,500 waiting (60 ms by primary key).
 */
export function markWebhookEventsDispatchedSql(eventIds: string[]): Prisma.Sql {
  return Prisma.sql`
    UPDATE "WebhookEvent" SET "status" = 'DISPATCHED', "dispatchedAt" = ${NOW_UTC}
    WHERE "id" = ANY(${eventIds}::text[]) AND "status"::text = 'RECEIVED'`;
}

export async function markWebhookEventsDispatched(db: Database, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db.sql(markWebhookEventsDispatchedSql(eventIds), { prepare: 'patchbay_mark_webhook_events_dispatched' });
}
