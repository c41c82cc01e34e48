// Group commit for incoming webhook events. Every acknowledged event must be committed (flushed
// to disk) before its 2xx, and a commit costs a disk flush whatever its size. So the events of
// concurrent requests are written together: while one multi-row INSERT is in flight, the next
// requests queue, and go in the next one. One request alone waits for one INSERT, as before;
// under load, a flush carries up to MAX_BATCH events. Duplicates (same endpoint + provider
// message id) are left out by ON CONFLICT and answered with the first event's id.
import { Prisma, sortableId, type Database } from '@patchbay/db';

export interface NewWebhookEvent {
  orgId: string;
  endpointId: string;
  dedupeKey: string | null;
  headers: Record<string, string>;
  rawBody: string;
  contentType: string | null;
  verification: string;
}

export type WriteResult = { duplicate: false; id: string } | { duplicate: true; id: string | null };

export interface EventWriter {
  write(event: NewWebhookEvent): Promise<WriteResult>;
}

const MAX_BATCH = 200;
/** INSERTs in flight at once: a little overlap keeps the disk busy without starving the pool. */
const MAX_IN_FLIGHT = 2;

interface Pending {
  event: NewWebhookEvent;
  resolve(result: WriteResult): void;
  reject(err: unknown): void;
}

export function createEventWriter(db: Database): EventWriter {
  const queue: Pending[] = [];
  let inFlight = 0;

  async function drain(): Promise<void> {
    inFlight++;
    try {
      while (queue.length) {
        const batch = queue.splice(0, MAX_BATCH);
        try {
          const results = await insertBatch(db, batch.map((p) => p.event));
          batch.forEach((p, i) => p.resolve(results[i]!));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      inFlight--;
    }
  }

  return {
    write(event) {
      return new Promise<WriteResult>((resolve, reject) => {
        queue.push({ event, resolve, reject });
        if (inFlight < MAX_IN_FLIGHT) void drain();
      });
    },
  };
}

async function insertBatch(db: Database, events: NewWebhookEvent[]): Promise<WriteResult[]> {
  const ids = events.map(() => sortableId());
  const values = events.map(
    (e, i) => Prisma.sql`(${ids[i]}, ${e.orgId}, ${e.endpointId}, ${e.dedupeKey}, ${JSON.stringify(e.headers)}::jsonb, ${e.rawBody}, ${e.contentType}, ${e.verification})`,
  );
  const inserted = await db.prisma.$queryRaw<Array<{ id: string }>>`
    INSERT INTO "WebhookEvent" ("id", "orgId", "endpointId", "dedupeKey", "headers", "rawBody", "contentType", "verification")
    VALUES ${Prisma.join(values)}
    ON CONFLICT ("endpointId", "dedupeKey") DO NOTHING
    RETURNING "id"`;
  const stored = new Set(inserted.map((row) => row.id));
  const results: WriteResult[] = ids.map((id) => (stored.has(id) ? { duplicate: false, id } : { duplicate: true, id: null }));
  const duplicates = events.filter((_, i) => results[i]!.duplicate);
  if (duplicates.length) {
    // The first event's id, for the answer (a redelivery inside this very batch finds its twin).
    const keys = duplicates.map((e) => Prisma.sql`(${e.endpointId}, ${e.dedupeKey})`);
    const firsts = await db.prisma.$queryRaw<Array<{ id: string; endpointId: string; dedupeKey: string }>>`
      SELECT "id", "endpointId", "dedupeKey" FROM "WebhookEvent" WHERE ("endpointId", "dedupeKey") IN (${Prisma.join(keys)})`;
    const byKey = new Map(firsts.map((row) => [`${row.endpointId}\u0000${row.dedupeKey}`, row.id]));
    events.forEach((e, i) => {
      if (results[i]!.duplicate) results[i] = { duplicate: true, id: byKey.get(`${e.endpointId}\u0000${e.dedupeKey}`) ?? null };
    });
  }
  return results;
}
