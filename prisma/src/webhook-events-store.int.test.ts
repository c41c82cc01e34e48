// Storing incoming webhook events in one statement: a plain INSERT while nothing conflicts, the
// checked statement (duplicates and events of deleted endpoints left out and reported) once the
// plain one fails, and for a while after (the window is per database, and these tests share one,
// each starting past the window on a clock of its own). On PostgreSQL (DATABASE_URL) or embedded PGlite.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { migrationTargetOf, openDatabase, type Database } from './index.ts';
import { applyMigrations } from './migrate.ts';
import { storeWebhookEvents, type NewWebhookEvent } from './webhook-events.ts';
import { Prisma } from '../generated/client/client.ts';

const run = randomBytes(4).toString('hex');
const ORG = `org-store-${run}`;
const KEPT = `ep-kept-${run}`;
const DOOMED = `ep-doomed-${run}`;

/** Statements sent, by kind: the plain INSERT, the checked one, anything else. */
let sent: string[] = [];
const kindOf = (sql: string) => (!sql.includes('"WebhookEvent"') ? 'other' : sql.includes('ON CONFLICT') ? 'checked' : 'plain');

let db: Database;

beforeAll(async () => {
  const onQuery = (sql: string) => void sent.push(kindOf(sql));
  if (process.env.DATABASE_URL) {
    db = await openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL }, { onQuery });
  } else {
    db = await openDatabase({ kind: 'pglite' }, { onQuery });
    await applyMigrations(migrationTargetOf(db));
  }
  await db.sql(Prisma.sql`INSERT INTO "Organization" ("id", "slug", "name") VALUES (${ORG}, ${ORG}, ${ORG})`);
  for (const endpoint of [KEPT, DOOMED]) {
    await db.sql(Prisma.sql`INSERT INTO "WebhookEndpoint" ("id", "orgId", "name", "verification", "updatedAt") VALUES (${endpoint}, ${ORG}, ${endpoint}, 'NONE', now())`);
  }
}, 120_000);

// The clock (Date alone) is moved on by the tests: past the checked window before each.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 * ++tests });
});
let tests = 0;

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await db?.prisma.organization.deleteMany({ where: { id: ORG } });
  await db?.close();
});

let n = 0;
function event(dedupeKey: string | null = `msg-${run}-${++n}`, endpointId = KEPT): NewWebhookEvent {
  return { orgId: ORG, endpointId, dedupeKey, headers: { 'content-type': 'application/json' }, rawBody: `{"n":${n}}`, contentType: 'application/json', verification: 'NONE' };
}

async function storedRows(ids: Array<string | null | 'gone'>) {
  const found = ids.filter((id): id is string => typeof id === 'string' && id !== 'gone');
  return db.sql<{ id: string; dedupeKey: string | null; receivedAt: string }>(Prisma.sql`
    SELECT "id", "dedupeKey", "receivedAt"::text AS "receivedAt" FROM "WebhookEvent" WHERE "id" = ANY(${found}::text[]) ORDER BY "id"`);
}

describe('storing a batch of incoming webhook events', () => {
  it('stores a batch without conflicts with one plain INSERT: every id, one time', async () => {
    const batch = [event(), event(null), event()];
    sent = [];
    const { ids, receivedAt } = await storeWebhookEvents(db, batch);
    expect(sent).toEqual(['plain']);
    expect(ids.every((id) => typeof id === 'string' && id !== 'gone')).toBe(true);
    const rows = await storedRows(ids);
    expect(rows.map((row) => row.dedupeKey)).toEqual(batch.map((e) => e.dedupeKey));
    expect(new Set(rows.map((row) => row.receivedAt))).toEqual(new Set([receivedAt]));
  });

  it('a duplicate fails the plain INSERT whole; the checked statement stores the rest once and reports the duplicates', async () => {
    const [first] = (await storeWebhookEvents(db, [event('dup-stored-' + run)])).ids;
    const batch = [event(), event('dup-stored-' + run), event('twin-' + run), event('twin-' + run), event()];
    sent = [];
    const { ids } = await storeWebhookEvents(db, batch);
    expect(sent).toEqual(['plain', 'checked']);
    expect(ids[1]).toBeNull();
    expect(ids[3]).toBeNull();
    const rows = await storedRows(ids);
    expect(rows.map((row) => row.dedupeKey)).toEqual([batch[0]!.dedupeKey, 'twin-' + run, batch[4]!.dedupeKey]);
    // Nothing of the failed statement was kept: the stored duplicate is still the first one alone.
    const copies = await db.sql<{ id: string }>(Prisma.sql`SELECT "id" FROM "WebhookEvent" WHERE "endpointId" = ${KEPT} AND "dedupeKey" IN (${'dup-stored-' + run}, ${'twin-' + run})`);
    expect(copies.map((row) => row.id).sort()).toEqual([first, ids[2]].sort());
  });

  it('after a conflict the checked statement goes alone for ten seconds, then the plain INSERT again', async () => {
    const dup = `window-${run}`;
    await storeWebhookEvents(db, [event(dup)]);
    sent = [];
    await storeWebhookEvents(db, [event(dup)]);
    expect(sent).toEqual(['plain', 'checked']);

    sent = [];
    vi.setSystemTime(Date.now() + 9_000);
    const within = await storeWebhookEvents(db, [event()]);
    expect(sent).toEqual(['checked']);
    expect(typeof within.ids[0]).toBe('string');

    sent = [];
    vi.setSystemTime(Date.now() + 2_000);
    const after = await storeWebhookEvents(db, [event()]);
    expect(sent).toEqual(['plain']);
    expect(typeof after.ids[0]).toBe('string');
  });

  it('an event of an endpoint deleted meanwhile is reported gone, and the others are stored', async () => {
    await db.sql(Prisma.sql`DELETE FROM "WebhookEndpoint" WHERE "id" = ${DOOMED}`);
    const batch = [event(), event(undefined, DOOMED), event()];
    sent = [];
    const { ids } = await storeWebhookEvents(db, batch);
    expect(sent).toEqual(['plain', 'checked']);
    expect(ids[1]).toBe('gone');
    expect((await storedRows(ids)).map((row) => row.dedupeKey)).toEqual([batch[0]!.dedupeKey, batch[2]!.dedupeKey]);
  });
});
