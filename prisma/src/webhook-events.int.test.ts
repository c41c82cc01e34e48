// Marking events DISPATCHED must find them by primary key whatever the statistics say. The trap:
// statistics taken while no row was RECEIVED, then a backlog of RECEIVED rows (a Temporal outage).
// With a status condition the planner then reads the (status, receivedAt) index — every RECEIVED
// entry, each tested against the id list — and the cost grows with the backlog. Run on embedded
// PGlite, which is PostgreSQL's own planner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationTargetOf, openDatabase, type Database } from './index.ts';
import { applyMigrations } from './migrate.ts';
import { markWebhookEventsDispatched, markWebhookEventsDispatchedSql } from './webhook-events.ts';
import { Prisma } from '../generated/client/client.ts';

const BACKLOG = 3_000;
let db: Database;

beforeAll(async () => {
  db = await openDatabase({ kind: 'pglite' });
  await applyMigrations(migrationTargetOf(db));
  await db.sql(Prisma.sql`INSERT INTO "Organization" ("id", "slug", "name") VALUES ('org', 'org', 'Org')`);
  await db.sql(Prisma.sql`INSERT INTO "WebhookEndpoint" ("id", "orgId", "name", "verification", "updatedAt") VALUES ('ep', 'org', 'hooks', 'NONE', now())`);
  await db.sql(Prisma.sql`
    INSERT INTO "WebhookEvent" ("id", "orgId", "endpointId", "headers", "rawBody", "verification", "status")
    SELECT 'ev' || lpad(n::text, 6, '0'), 'org', 'ep', '{}'::jsonb, '{}', 'NONE', 'PROCESSED' FROM generate_series(1, ${BACKLOG}) AS n`);
  // Statistics that count no RECEIVED row, then the backlog.
  await db.sql(Prisma.sql`ANALYZE "WebhookEvent"`);
  await db.sql(Prisma.sql`UPDATE "WebhookEvent" SET "status" = 'RECEIVED'`);
}, 120_000);

afterAll(async () => {
  await db?.close();
});

/** The generic plan (what a prepared statement runs after its first executions) of `sql` for these ids. */
async function genericPlan(sql: Prisma.Sql): Promise<string> {
  return db.prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SET LOCAL plan_cache_mode = force_generic_plan`);
    await tx.$executeRawUnsafe(`PREPARE plan_probe(text[]) AS ${sql.text}`);
    const rows = await tx.$queryRawUnsafe<Array<{ 'QUERY PLAN': string }>>(`EXPLAIN EXECUTE plan_probe(ARRAY['ev000001', 'ev000002'])`);
    await tx.$executeRawUnsafe(`DEALLOCATE plan_probe`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

describe('marking webhook events DISPATCHED under a backlog the statistics do not know', () => {
  it('the trap is real: with a plain status condition the planner reads the status index', async () => {
    const naive = Prisma.sql`UPDATE "WebhookEvent" SET "status" = 'DISPATCHED' WHERE "id" = ANY($1::text[]) AND "status" = 'RECEIVED'`;
    expect(await genericPlan(naive)).toContain('WebhookEvent_status_receivedAt_idx');
  });

  it('finds the rows by primary key only', async () => {
    const plan = await genericPlan(markWebhookEventsDispatchedSql([]));
    expect(plan).toContain('WebhookEvent_pkey');
    expect(plan).not.toContain('WebhookEvent_status_receivedAt_idx');
  });

  it('marks RECEIVED rows and leaves rows further along alone', async () => {
    await db.sql(Prisma.sql`UPDATE "WebhookEvent" SET "status" = 'PROCESSED' WHERE "id" = 'ev000003'`);
    await markWebhookEventsDispatched(db, ['ev000001', 'ev000002', 'ev000003', 'missing']);
    const rows = await db.sql<{ id: string; status: string; dispatched: boolean }>(Prisma.sql`
      SELECT "id", "status"::text AS "status", "dispatchedAt" IS NOT NULL AS "dispatched" FROM "WebhookEvent" WHERE "id" IN ('ev000001', 'ev000002', 'ev000003', 'ev000004') ORDER BY "id"`);
    expect(rows).toEqual([
      { id: 'ev000001', status: 'DISPATCHED', dispatched: true },
      { id: 'ev000002', status: 'DISPATCHED', dispatched: true },
      { id: 'ev000003', status: 'PROCESSED', dispatched: false },
      { id: 'ev000004', status: 'RECEIVED', dispatched: false },
    ]);
  });
});
