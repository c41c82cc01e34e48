// Outgoing-webhook fan-out: every domain event recorded by recordActivity becomes one PENDING
// Delivery per matching enabled subscription of its organization, in the same place the event
// is written, so no event type can be forgotten. Rows are the durable outbox: the api's
// dispatcher starts their `delivery/<id>` workflows (this package cannot import Temporal).
// The payload carries the event's id, message and data, never a secret (activity data never
// holds one: see events.ts).
import { randomBytes } from 'node:crypto';
import type { Database } from './index.ts';
import type { Prisma } from '../generated/client/client.ts';

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

/** The part of a Prisma client (or of a transaction) fan-out uses. */
type DeliveryWriter = Pick<Database['prisma'], 'webhookSubscription' | 'delivery'>;

/**
 * Creates the Deliveries of these events (inside the caller's transaction, if it passes one):
 * one read of each organization's enabled subscriptions, one insert for all; returns how many.
 */
export async function fanOut(client: DeliveryWriter, events: FanoutEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const orgIds = [...new Set(events.map((e) => e.orgId))];
  const subscriptions = await client.webhookSubscription.findMany({
    where: { orgId: { in: orgIds }, enabled: true },
    select: { id: true, orgId: true, eventTypes: true },
  });
  if (subscriptions.length === 0) return 0;
  const data = events.flatMap((event) => {
    const matching = subscriptions.filter((s) => s.orgId === event.orgId && s.eventTypes.some((p) => eventTypeMatches(p, event.type)));
    if (matching.length === 0) return [];
    const payload = deliveryPayload(event);
    return matching.map((s) => ({ orgId: event.orgId, subscriptionId: s.id, messageId: newMessageId(), eventType: event.type, payload }));
  });
  if (data.length) await client.delivery.createMany({ data });
  return data.length;
}
