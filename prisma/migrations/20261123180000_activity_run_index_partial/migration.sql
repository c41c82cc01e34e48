-- Only entries about a run are looked up by run (the feed's runId filter, whose equality
-- implies a non-null runId, so PostgreSQL still uses this index for it). Most entries name no
-- run (every incoming webhook's webhook.received does), and each of those paid an index insert
-- and its write-ahead log for an entry nothing would ever find through it.
-- schema.prisma keeps @@index([orgId, runId]): Prisma cannot express the predicate and
-- compares the index by its columns.
DROP INDEX "ActivityEvent_orgId_runId_idx";

CREATE INDEX "ActivityEvent_orgId_runId_idx" ON "ActivityEvent"("orgId", "runId") WHERE "runId" IS NOT NULL;
