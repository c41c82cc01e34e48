// Activities of the sync engine (workflows/sync.ts). A syncPages activity fetches AND stores page
// after page: the records never travel through workflow history, only counts and page numbers do.
// Each page, the new checkpoint and the counts commit in one statement (one transaction), so a
// worker killed at any point resumes from the last committed page with nothing duplicated or lost.
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { announceRunChange, Prisma, recordActivity, recordRunEvent, type SyncState } from '@patchbay/db';
import { isPluginError } from '@patchbay/sdk';
import { syncSourceFor, type FetchedPage, type RenewToken, type SyncSource } from '../syncs/sources.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { requestRefreshAndWait } from './connection-tokens.ts';

export interface SyncCheckpoint {
  cursor: string | null;
  /** No page left: the last page had no next cursor, or the page cap was reached. */
  done: boolean;
  /** The source ran out of pages (not capped): only then are unseen records deleted. */
  exhausted: boolean;
}

export interface SyncPageResult {
  done: boolean;
  records: number;
  /** true: this page had been committed by an earlier attempt (a worker died after the commit). */
  replayed: boolean;
}

export interface SyncBatchResult {
  /** The first page not committed yet (where the next call starts). */
  nextPage: number;
  /** Pages this call committed. */
  pages: number;
  done: boolean;
}

export interface SyncTotals {
  pages: number;
  added: number;
  updated: number;
  deleted: number;
}

const HEARTBEAT_EVERY_MS = 1_000;
/** A syncPages call returns after about this long, so the workflow sees progress and can continue-as-new. */
const PAGES_CALL_BUDGET_MS = 60_000;
const SOURCE_TTL_MS = 30_000;
const PREFETCH_TIMEOUT_MS = 60_000;
const MAX_CACHED_SOURCES = 64;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** A stable content hash: same data, same hash, whatever the key order. */
export function contentHash(data: unknown): string {
  return createHash('sha256').update(stableJson(data)).digest('base64url');
}

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.filter((k) => (value as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function createSyncActivities(deps: ActivityDeps) {
  const { db } = deps;
  const { prisma } = db;

  // Per run in progress, in this worker's memory: the source (connection decrypted, manifest
  // parsed, headers rendered), the checkpoint it committed last, and the next page fetched ahead
  // while the current one commits. A cache, never a source of truth: every commit is guarded by
  // the checkpoint in PostgreSQL, and a miss (another worker, a restart) reads it from there.
  interface RunCache {
    source: SyncSource;
    at: number;
    state: Pick<SyncState, 'id' | 'orgId' | 'connectionId' | 'syncKey'>;
    nextPage: number;
    cursor: string | null;
    prefetch?: { pageNo: number; cursor: string; promise: Promise<FetchedPage> };
  }
  const runs = new Map<string, RunCache>();
  const remember = (key: string, entry: RunCache) => {
    if (!runs.has(key) && runs.size >= MAX_CACHED_SOURCES) runs.delete(runs.keys().next().value!);
    runs.set(key, entry);
  };

  type Step = { resumeAt?: undefined; done: boolean; records: number } | { resumeAt: number; done: boolean };

  /**
   * Fetches page `pageNo` (from the checkpoint's cursor) and commits records + checkpoint + counts
   * in one statement. With `resume`, a page already committed by an earlier attempt answers
   * `resumeAt` (the first uncommitted page) instead of failing.
   */
  async function pageStep(stateId: string, runId: string, pageNo: number, signal: AbortSignal, resume: boolean): Promise<Step> {
    const key = `${stateId}:${runId}`;
    let entry = runs.get(key);
    if (!entry || entry.nextPage !== pageNo || Date.now() - entry.at > SOURCE_TTL_MS) {
      const state = await prisma.syncState.findUniqueOrThrow({ where: { id: stateId } });
      if (state.currentRunId !== runId) throw ApplicationFailure.nonRetryable('This run no longer holds the sync', 'PermanentError');
      const checkpoint = state.checkpoint as SyncCheckpoint | null;
      if (state.pages > pageNo) return { resumeAt: resume ? state.pages : pageNo, done: checkpoint?.done ?? false };
      if (state.pages < pageNo) throw ApplicationFailure.nonRetryable(`Checkpoint is at page ${state.pages}, not ${pageNo}`, 'PermanentError');
      entry = { source: await syncSourceFor(deps, state), at: Date.now(), state, nextPage: pageNo, cursor: checkpoint?.cursor ?? null };
      remember(key, entry);
    }
    const { source, state, cursor } = entry;
    // The same renewal as a manifest run's 401: the connection-tokens workflow refreshes, this
    // waits for the row (heartbeating, which the legacy local syncPage cannot: it just fails).
    const ctx = Context.current();
    const renew: RenewToken | undefined = ctx.info.isLocal ? undefined : (seen) => requestRefreshAndWait(deps, ctx.client, { orgId: state.orgId, connectionId: state.connectionId, seen });
    try {
      const ahead = entry.prefetch?.pageNo === pageNo && entry.prefetch.cursor === cursor ? entry.prefetch.promise : null;
      entry.prefetch = undefined;
      const page = ahead ? await ahead.catch(() => source.fetchPage(cursor, pageNo, signal, renew)) : await source.fetchPage(cursor, pageNo, signal, renew);
      const capped = source.maxPages !== null && pageNo + 1 >= source.maxPages;
      const exhausted = !page.nextCursor || page.records.length === 0;
      const next: SyncCheckpoint = { cursor: page.nextCursor, done: exhausted || capped, exhausted };
      if (!next.done && next.cursor) {
        // Fetch the next page while this one commits (dropped if this attempt fails).
        const promise = source.fetchPage(next.cursor, pageNo + 1, AbortSignal.timeout(PREFETCH_TIMEOUT_MS));
        promise.catch(() => undefined);
        entry.prefetch = { pageNo: pageNo + 1, cursor: next.cursor, promise };
      }
      // The last record with an id wins within a page (one row may be written once per statement).
      const unique = new Map<string, unknown>();
      for (const r of page.records) unique.set(r.id, r.data ?? null);
      const ids = [...unique.keys()];
      const datas = ids.map((id) => JSON.stringify(unique.get(id)));
      const hashes = ids.map((_, i) => contentHash(JSON.parse(datas[i]!)));
      const checkpointJson = JSON.stringify(next);
      if (source.mode === 'records') {
        // One statement, one commit. `claim` locks the SyncState row only if this attempt finds
        // the page uncommitted (a concurrent attempt waits on the lock, then finds it moved and
        // writes nothing); the upsert skips unchanged rows and tells inserted (xmax = 0) from
        // updated ones, which gives the counts without looking the rows up first; the seen ids
        // serve deletion detection; the checkpoint and counts advance with the rows.
        const [row] = await prisma.$queryRaw<Array<{ claimed: number }>>`
          WITH claim AS (
            SELECT s."id" FROM "SyncState" AS s
            WHERE s."id" = ${stateId} AND s."currentRunId" = ${runId} AND s."pages" = ${pageNo}
            FOR UPDATE
          ), incoming AS (
            SELECT * FROM unnest(${ids}::text[], ${datas}::text[], ${hashes}::text[]) AS t(external_id, data, hash)
          ), up AS (
            INSERT INTO "SyncRecord" ("orgId", "connectionId", "model", "externalId", "data", "hash", "updatedAt", "lastRunId")
            SELECT ${state.orgId}, ${state.connectionId}, ${source.model}, external_id, data::jsonb, hash, now(), ${runId}
            FROM incoming WHERE EXISTS (SELECT 1 FROM claim)
            ON CONFLICT ("connectionId", "model", "externalId") DO UPDATE
              SET "data" = EXCLUDED."data", "hash" = EXCLUDED."hash", "deleted" = false, "deletedAt" = NULL,
                  "updatedAt" = now(), "lastRunId" = EXCLUDED."lastRunId"
              WHERE "SyncRecord"."hash" IS DISTINCT FROM EXCLUDED."hash" OR "SyncRecord"."deleted"
            RETURNING ("SyncRecord"."xmax" = 0) AS inserted
          ), seen AS (
            INSERT INTO "SyncSeen" ("runId", "externalId") SELECT ${runId}, external_id FROM incoming
            WHERE EXISTS (SELECT 1 FROM claim) ON CONFLICT DO NOTHING
          ), advanced AS (
            UPDATE "SyncState" AS s SET "pages" = s."pages" + 1, "checkpoint" = ${checkpointJson}::jsonb,
              "added" = s."added" + c.added, "updated" = s."updated" + c.updated, "updatedAt" = now()
            FROM (SELECT (count(*) FILTER (WHERE inserted))::int AS added, (count(*) FILTER (WHERE NOT inserted))::int AS updated FROM up) AS c
            WHERE s."id" IN (SELECT "id" FROM claim)
            RETURNING s."id"
          )
          SELECT (SELECT count(*) FROM advanced)::int AS claimed`;
        if (!row?.claimed) throw ApplicationFailure.retryable('The checkpoint moved concurrently', 'TransientError');
      } else {
        await prisma.$transaction(async (tx) => {
          const { count } = await tx.syncState.updateMany({ where: { id: stateId, currentRunId: runId, pages: pageNo }, data: { pages: pageNo + 1, checkpoint: next as unknown as Prisma.InputJsonValue } });
          if (count === 0) throw ApplicationFailure.retryable('The checkpoint moved concurrently', 'TransientError');
          // update: merge the mapped fields into existing subjects (matched on email); unknown emails are skipped.
          const updated = ids.length
            ? await tx.$executeRaw`
                UPDATE "ManifestSubject" AS s SET "data" = s."data" || t.data::jsonb, "updatedAt" = now()
                FROM unnest(${ids}::text[], ${datas}::text[]) AS t(email, data)
                WHERE s."orgId" = ${state.orgId} AND s."email" = t.email AND NOT (s."data" @> t.data::jsonb)`
            : 0;
          if (updated) await tx.syncState.update({ where: { id: stateId }, data: { updated: { increment: updated } } });
        }, { timeout: 60_000 });
      }
      entry.nextPage = pageNo + 1;
      entry.cursor = next.cursor;
      entry.at = Date.now();
      return { done: next.done, records: ids.length };
    } catch (err) {
      runs.delete(key);
      if (signal.aborted) throw signal.reason;
      throw toFailure(err);
    }
  }

  return {
    /** Claims the sync for this run (a run already holding it resumes). */
    async syncBegin(stateId: string, runId: string): Promise<void> {
      const state = await prisma.syncState.findUnique({ where: { id: stateId } });
      if (!state) throw ApplicationFailure.nonRetryable('This sync no longer exists', 'PermanentError');
      if (state.currentRunId === runId) return;
      if (state.currentRunId) {
        const holder = await prisma.run.findUnique({ where: { id: state.currentRunId }, select: { status: true } });
        if (holder && !TERMINAL.includes(holder.status)) {
          throw ApplicationFailure.nonRetryable(`Another run of this sync is in progress (${state.currentRunId})`, 'PermanentError');
        }
      }
      const { count } = await prisma.syncState.updateMany({
        where: { id: stateId, currentRunId: state.currentRunId },
        data: { currentRunId: runId, checkpoint: Prisma.DbNull, pages: 0, added: 0, updated: 0, deleted: 0 },
      });
      if (count === 0) throw ApplicationFailure.retryable('The sync was claimed concurrently', 'TransientError');
      if (state.currentRunId) await prisma.syncSeen.deleteMany({ where: { runId: state.currentRunId } });
    },

    /**
     * Fetches and commits pages from `fromPage` on, one transaction per page (records + checkpoint
     * + counts), until the source runs out, `maxPages` pages were committed or PAGES_CALL_BUDGET_MS
     * has passed. Heartbeats as it goes. An attempt that finds pages already committed (a retry
     * after a worker died) resumes after the last committed one: the checkpoint in PostgreSQL, not
     * the arguments, says where to go on.
     */
    async syncPages(stateId: string, runId: string, fromPage: number, maxPages: number): Promise<SyncBatchResult> {
      const ctx = Context.current();
      const started = Date.now();
      let pageNo = fromPage;
      let committed = 0;
      const heartbeat = setInterval(() => ctx.heartbeat({ pageNo }), HEARTBEAT_EVERY_MS);
      try {
        for (;;) {
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
          let step: Step;
          try {
            step = await pageStep(stateId, runId, pageNo, ctx.cancellationSignal, true);
          } catch (err) {
            // A page that fails after others were committed by this call: report the progress,
            // and let the next call fail on that page as its first one. Retries (and their
            // maximumAttempts, backoff, Retry-After) thereby count per page, not per batch.
            if (committed > 0 && !ctx.cancellationSignal.aborted) return { nextPage: pageNo, pages: committed, done: false };
            throw err;
          }
          if (step.resumeAt !== undefined) {
            pageNo = step.resumeAt;
            if (step.done) return { nextPage: pageNo, pages: committed, done: true };
            continue;
          }
          pageNo++;
          committed++;
          ctx.heartbeat({ pageNo });
          if (step.done) return { nextPage: pageNo, pages: committed, done: true };
          if (committed >= maxPages || Date.now() - started >= PAGES_CALL_BUDGET_MS) return { nextPage: pageNo, pages: committed, done: false };
        }
      } finally {
        clearInterval(heartbeat);
      }
    },

    /** One page as its own (local) activity: what workflow histories from before syncPages replay. */
    async syncPage(stateId: string, runId: string, pageNo: number): Promise<SyncPageResult> {
      const ctx = Context.current();
      // Local activities cannot heartbeat; a regular one can.
      const heartbeat = setInterval(() => ctx.info.isLocal || ctx.heartbeat(pageNo), HEARTBEAT_EVERY_MS);
      try {
        const step = await pageStep(stateId, runId, pageNo, ctx.cancellationSignal, false);
        if (step.resumeAt !== undefined) return { done: step.done, records: 0, replayed: true };
        return { done: step.done, records: step.records, replayed: false };
      } finally {
        clearInterval(heartbeat);
      }
    },

    /** Deletion detection (full syncs that ran out of pages), counts, the sync.completed event. */
    async syncFinish(stateId: string, runId: string): Promise<SyncTotals> {
      const state = await prisma.syncState.findUniqueOrThrow({ where: { id: stateId } });
      if (state.currentRunId !== runId) {
        if (state.lastRunId === runId && state.lastResult) return state.lastResult as unknown as SyncTotals;
        throw ApplicationFailure.nonRetryable('This run no longer holds the sync', 'PermanentError');
      }
      const checkpoint = state.checkpoint as SyncCheckpoint | null;
      const source = await syncSourceFor(deps, state);
      const totals = await prisma.$transaction(async (tx) => {
        let deleted = 0;
        if (checkpoint?.exhausted && source.mode === 'records') {
          deleted = await tx.$executeRaw`
            UPDATE "SyncRecord" AS r SET "deleted" = true, "deletedAt" = now(), "updatedAt" = now(), "lastRunId" = ${runId}
            WHERE r."connectionId" = ${state.connectionId} AND r."model" = ${source.model} AND NOT r."deleted"
              AND NOT EXISTS (SELECT 1 FROM "SyncSeen" s WHERE s."runId" = ${runId} AND s."externalId" = r."externalId")`;
        }
        const result: SyncTotals = { pages: state.pages, added: state.added, updated: state.updated, deleted };
        const { count } = await tx.syncState.updateMany({
          where: { id: stateId, currentRunId: runId },
          data: { currentRunId: null, deleted, lastRunId: runId, lastCompletedAt: new Date(), lastResult: result as unknown as Prisma.InputJsonValue },
        });
        if (count === 0) throw ApplicationFailure.retryable('The sync changed concurrently', 'TransientError');
        await tx.run.update({ where: { id: runId }, data: { output: { ...result, model: source.model } as unknown as Prisma.InputJsonValue } });
        return result;
      });
      await prisma.syncSeen.deleteMany({ where: { runId } });
      runs.delete(`${stateId}:${runId}`);
      await recordActivity(db, {
        orgId: state.orgId,
        type: 'sync.completed',
        message: `Sync ${state.syncKey}: ${totals.added} added, ${totals.updated} updated, ${totals.deleted} deleted (${totals.pages} pages)`,
        data: { sync: state.syncKey, model: source.model, ...totals },
        connectionId: state.connectionId,
        runId,
      });
      return totals;
    },

    /** Releases the claim of a failed or cancelled run. */
    async syncAbandon(stateId: string, runId: string): Promise<void> {
      await prisma.syncState.updateMany({ where: { id: stateId, currentRunId: runId }, data: { currentRunId: null, lastRunId: runId } });
      await prisma.syncSeen.deleteMany({ where: { runId } });
    },

    /** A Schedule's tick: a Run row for this sync, unless one is in progress or the sync is paused. */
    async createScheduledSyncRun(stateId: string): Promise<string | null> {
      const state = await prisma.syncState.findUnique({ where: { id: stateId } });
      if (!state || state.paused) return null;
      if (state.currentRunId) {
        const holder = await prisma.run.findUnique({ where: { id: state.currentRunId }, select: { status: true } });
        if (holder && !TERMINAL.includes(holder.status)) return null;
      }
      const run = await prisma.run.create({ data: { orgId: state.orgId, kind: 'SYNC', action: state.syncKey, connectionId: state.connectionId, input: { sync: state.syncKey, scheduled: true } } });
      await announceRunChange(db, { id: run.id, orgId: run.orgId });
      await recordRunEvent(db, run, 'queued');
      return run.id;
    },
  };
}

export type SyncActivities = ReturnType<typeof createSyncActivities>;

function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || !isPluginError(err)) return err;
  switch (err.kind) {
    case 'PERMANENT':
    case 'AUTH':
      return ApplicationFailure.nonRetryable(err.message, 'PermanentError');
    case 'RATE_LIMIT':
      return ApplicationFailure.create({ message: err.message, type: 'RateLimitError', nextRetryDelay: 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : undefined });
    default:
      return ApplicationFailure.retryable(err.message, 'TransientError');
  }
}
