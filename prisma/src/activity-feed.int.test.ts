// Incoming webhooks' feed entries, on PostgreSQL (DATABASE_URL) or embedded PGlite: made from what
// the caller holds (no read-back of the events), one notice per hundred entries that a watcher
// turns back into one per entry, and an organization's entries deleted with it although the
// table has no foreign key to it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, watchChannel, type ChangeNotice } from './events.ts';
import { migrationTargetOf, openDatabase, type Database } from './index.ts';
import { applyMigrations } from './migrate.ts';
import { announceAndRecordDispatch, announceWebhookEvents, storeWebhookEvents, type AnnouncedWebhookEvent, type NewWebhookEvent } from './webhook-events.ts';
import { Prisma } from '../generated/client/client.ts';

let db: Database;
// PostgreSQL is shared with the other test files (migrated by the global setup): names of this run only.
const run = randomBytes(4).toString('hex');
const ORG_A = `org-a-${run}`;
const ORG_B = `org-b-${run}`;
const ORG_GONE = `org-gone-${run}`;

beforeAll(async () => {
  if (process.env.DATABASE_URL) {
    db = await openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL });
  } else {
    db = await openDatabase({ kind: 'pglite' });
    await applyMigrations(migrationTargetOf(db));
  }
  for (const org of [ORG_A, ORG_B]) {
    await db.sql(Prisma.sql`INSERT INTO "Organization" ("id", "slug", "name") VALUES (${org}, ${org}, ${org})`);
    await db.sql(Prisma.sql`INSERT INTO "WebhookEndpoint" ("id", "orgId", "name", "verification", "updatedAt") VALUES (${`ep-${org}`}, ${org}, ${`hooks of ${org}`}, 'NONE', now())`);
  }
}, 120_000);

afterAll(async () => {
  await db?.prisma.organization.deleteMany({ where: { id: { in: [ORG_A, ORG_B, ORG_GONE] } } });
  await db?.close();
});

function newEvent(org: string, n: number, dedupeKey: string | null = `msg-${org}-${n}`): NewWebhookEvent {
  return { orgId: org, endpointId: `ep-${org}`, dedupeKey, headers: { 'content-type': 'application/json' }, rawBody: `{"n":${n}}`, contentType: 'application/json', verification: 'NONE' };
}

/** Stores the events as the request path does and returns what announcing them takes. */
async function store(events: NewWebhookEvent[]): Promise<AnnouncedWebhookEvent[]> {
  const { ids, receivedAt } = await storeWebhookEvents(db, events);
  return events.map((event, i) => {
    const id = ids[i];
    if (typeof id !== 'string' || id === 'gone') throw new Error(`event ${i} was not stored: ${id}`);
    return { id, endpointId: event.endpointId, dedupeKey: event.dedupeKey, verification: event.verification, receivedAt };
  });
}

const announce = (events: AnnouncedWebhookEvent[]) => db.prisma.$transaction((tx) => announceWebhookEvents(tx, events));

describe('announcing stored webhook events', () => {
  it('writes one entry per event, with its id, its time and what it was received on', async () => {
    const stored = await store([newEvent(ORG_A, 1), newEvent(ORG_A, 2, null)]);
    await announce(stored);
    const entries = await db.prisma.activityEvent.findMany({ where: { id: { in: stored.map((e) => e.id) } }, orderBy: { id: 'asc' } });
    const events = await db.prisma.webhookEvent.findMany({ where: { id: { in: stored.map((e) => e.id) } }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(entries.map((e) => e.at.toISOString())).toEqual(events.map((e) => e.receivedAt.toISOString()));
    expect(entries[0]).toMatchObject({
      orgId: ORG_A,
      type: 'webhook.received',
      message: `Webhook received on "hooks of ${ORG_A}" (NONE)`,
      data: { endpointId: `ep-${ORG_A}`, eventId: events[0]!.id, verification: 'NONE', messageId: `msg-${ORG_A}-1` },
    });
    // No provider message id: no messageId key at all.
    expect(entries[1]!.data).toEqual({ endpointId: `ep-${ORG_A}`, eventId: events[1]!.id, verification: 'NONE' });
  });

  it('announcing again writes nothing, and an event whose endpoint is gone gets no entry', async () => {
    const [kept] = await store([newEvent(ORG_A, 3)]);
    await announce([kept!]);
    const before = await db.prisma.activityEvent.findUniqueOrThrow({ where: { id: kept!.id } });
    await announce([kept!]);
    expect(await db.prisma.activityEvent.count({ where: { id: kept!.id } })).toBe(1);
    expect(await db.prisma.activityEvent.findUniqueOrThrow({ where: { id: kept!.id } })).toEqual(before);

    await db.sql(Prisma.sql`INSERT INTO "WebhookEndpoint" ("id", "orgId", "name", "verification", "updatedAt") VALUES (${`ep-doomed-${run}`}, ${ORG_A}, 'doomed', 'NONE', now())`);
    const [doomed] = await store([{ ...newEvent(ORG_A, 4), endpointId: `ep-doomed-${run}` }]);
    await db.prisma.webhookEndpoint.delete({ where: { id: `ep-doomed-${run}` } });
    await announce([doomed!]);
    expect(await db.prisma.activityEvent.count({ where: { id: doomed!.id } })).toBe(0);
  });

  it('sends one notice per hundred entries, which a watcher turns back into one per entry, in order', async () => {
    const raw: string[] = [];
    // Other test files may write entries meanwhile: this organization's notices only.
    const unlisten = await db.listen(CHANNELS.activity, (payload) => {
      if ((JSON.parse(payload) as { orgId?: string }).orgId === ORG_B) raw.push(payload);
    });
    const controller = new AbortController();
    const watched = await watchChannel(db, CHANNELS.activity, ORG_B, controller.signal);
    try {
      const stored = await store(Array.from({ length: 250 }, (_, n) => newEvent(ORG_B, 100 + n)));
      await announce(stored);
      const seen: ChangeNotice[] = [];
      for await (const notice of watched) {
        seen.push(notice);
        if (seen.length === stored.length) break;
      }
      expect(seen).toEqual([...stored].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => ({ id: e.id, orgId: ORG_B, type: 'webhook.received' })));
      await expect.poll(() => raw.length).toBe(3);
      expect(raw.map((payload) => (JSON.parse(payload) as { ids: string[] }).ids.length)).toEqual([100, 100, 50]);
      expect(Math.max(...raw.map((payload) => Buffer.byteLength(payload)))).toBeLessThan(8000);
    } finally {
      controller.abort();
      await unlisten();
    }
  });
});

describe('announcing a batch with the record of its dispatch (the request path, on the driver)', () => {
  const dispatchOf = (workflowId: string) => db.prisma.webhookDispatch.findUnique({ where: { workflowId } });

  it('commits the entries and the record together', async () => {
    const stored = await store([newEvent(ORG_A, 500), newEvent(ORG_A, 501)]);
    const workflowId = `webhook-batch/test-${run}-1`;
    await announceAndRecordDispatch(db, stored, { workflowId, eventIds: stored.map((e) => e.id) });
    const entries = await db.prisma.activityEvent.findMany({ where: { id: { in: stored.map((e) => e.id) } } });
    expect(entries.map((e) => e.type)).toEqual(['webhook.received', 'webhook.received']);
    expect((await dispatchOf(workflowId))?.eventIds).toEqual(stored.map((e) => e.id));
    // Announced again (the outbox redoing a dead process's batch): nothing new, no error.
    await announceAndRecordDispatch(db, stored, null);
    expect(await db.prisma.activityEvent.count({ where: { id: { in: stored.map((e) => e.id) } } })).toBe(2);
  });

  it('writes neither when the record fails, and its connection goes on serving', async () => {
    const stored = await store([newEvent(ORG_A, 502)]);
    const workflowId = `webhook-batch/test-${run}-2`;
    // PostgreSQL text cannot hold a NUL byte: the record's statement fails after the entries' ran.
    await expect(announceAndRecordDispatch(db, stored, { workflowId, eventIds: ['bad\u0000id'] })).rejects.toThrow();
    expect(await db.prisma.activityEvent.count({ where: { id: stored[0]!.id } })).toBe(0);
    expect(await dispatchOf(workflowId)).toBeNull();
    await announceAndRecordDispatch(db, stored, { workflowId, eventIds: [stored[0]!.id] });
    expect(await db.prisma.activityEvent.count({ where: { id: stored[0]!.id } })).toBe(1);
    expect((await dispatchOf(workflowId))?.eventIds).toEqual([stored[0]!.id]);
  });
});

describe('an organization deleted', () => {
  it('takes its feed entries with it (a trigger: the table has no foreign key) and leaves the others', async () => {
    await db.sql(Prisma.sql`INSERT INTO "Organization" ("id", "slug", "name") VALUES (${ORG_GONE}, ${ORG_GONE}, 'gone')`);
    await db.prisma.activityEvent.createMany({ data: [1, 2, 3].map((n) => ({ orgId: ORG_GONE, type: 'test.entry', message: `entry ${n}` })) });
    const othersBefore = await db.prisma.activityEvent.count({ where: { orgId: { in: [ORG_A, ORG_B] } } });
    expect(othersBefore).toBeGreaterThan(0);
    expect(await db.prisma.activityEvent.count({ where: { orgId: ORG_GONE } })).toBe(3);
    await db.prisma.organization.delete({ where: { id: ORG_GONE } });
    expect(await db.prisma.activityEvent.count({ where: { orgId: ORG_GONE } })).toBe(0);
    expect(await db.prisma.activityEvent.count({ where: { orgId: { in: [ORG_A, ORG_B] } } })).toBe(othersBefore);
  });
});
