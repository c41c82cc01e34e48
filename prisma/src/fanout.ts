// Outgoing-webhook fan-out: every domain event recorded by recordActivity becomes one PENDING
// Delivery per matching enabled subscription of its organization, in the same place the event
// is written, so no event type can be forgotten. Rows are the durable outbox: the api's
// dispatcher starts their `delivery/<id>` workflows (this package cannot import Temporal).
// The payload carries the event's id, message and data, never a secret (activity data never
// holds one: see events.ts).
import { randomBytes } from 'node:crypto';
import type { Database } from './index.ts';
import { Prisma } from '../generated/client/client.ts';

export interface FanoutEvent {
  id: string;
  orgId: string;
  type: string;
  message: string;
  at: Date;
  data: unknown;
  runId: string | null;
  connectionId: string | null;
}

/** `*` matches everything, `connection.*` every `connection.<anything>`, otherwise exact. */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** A Standard Webhooks message id: the same for every attempt and replay of one message. */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

export function deliveryPayload(event: Omit<FanoutEvent, 'orgId'>): Prisma.InputJsonValue {
  const data = event.data && typeof event.data === 'object' && !Array.isArray(event.data) ? (event.data as Record<string, unknown>) : {};
  return {
    type: event.type,
    timestamp: event.at.toISOString(),
    data: { id: event.id, message: event.message, ...data, runId: event.runId, connectionId: event.connectionId },
  } as Prisma.InputJsonValue;
}

/**
 * The Deliveries of the feed entries in a CTE named `ev`: one per matching enabled subscription
 * (matching as eventTypeMatches, payload as deliveryPayload). One piece of SQL, used by the
 * one-statement recordActivity and by fanOut, so both fan out alike.
 */
export const INSERT_DELIVERIES_FROM_EV = Prisma.sql`
  INSERT INTO "Delivery" ("id", "orgId", "subscriptionId", "messageId", "eventType", "payload", "updatedAt")
  SELECT 'd' || md5(ev."id" || s."id" || random()::text), ev."orgId", s."id", 'msg_' || md5(random()::text || clock_timestamp()::text || s."id" || ev."id"), ev."type",
    jsonb_build_object('type', ev."type", 'timestamp', to_char(ev."at", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data',
      jsonb_build_object('id', ev."id", 'message', ev."message")
      || CASE WHEN jsonb_typeof(ev."data") = 'object' THEN ev."data" ELSE '{}'::jsonb END
      || jsonb_build_object('runId', ev."runId", 'connectionId', ev."connectionId")),
    now()
  FROM ev JOIN "WebhookSubscription" s ON s."orgId" = ev."orgId" AND s."enabled"
  WHERE EXISTS (SELECT 1 FROM unnest(s."eventTypes") AS p WHERE p = '*' OR p = ev."type" OR (right(p, 2) = '.*' AND starts_with(ev."type", left(p, -1))))`;

/** Creates the Deliveries of these (written) feed entries inside the caller's transaction; returns how many. */
export async function fanOut(tx: Pick<Database['prisma'], '$queryRaw'>, events: Array<Pick<FanoutEvent, 'id'>>): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await tx.$queryRaw<Array<{ n: number }>>`
    WITH ev AS (SELECT * FROM "ActivityEvent" WHERE "id" = ANY(${events.map((e) => e.id)}::text[])),
    created AS (${INSERT_DELIVERIES_FROM_EV} RETURNING 1)
    SELECT count(*)::int AS n FROM created`;
  return rows[0]?.n ?? 0;
}
