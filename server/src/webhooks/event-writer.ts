// Group commit for incoming webhook events. Every acknowledged event must be committed (flushed
// to disk) before its 2xx, and a commit costs a disk flush whatever its size. So the events of
// concurrent requests are written together: while one statement is in flight, the next requests
// queue, and go in the next one. One request alone waits for one statement, as before; under
// load, a flush carries up to MAX_BATCH events. Duplicates (same endpoint + provider message id)
// are left out and answered with the first event's id; so are events of an endpoint deleted since
// the request read it (answered as gone), without failing the others. Their feed entries follow
// with their dispatch (accept-pipeline.ts).
import { dedupeMapKey, storedWebhookEventIds, storeWebhookEvents, type Database, type NewWebhookEvent } from '@patchbay/db';

export type { NewWebhookEvent };

export type WriteResult =
  /** Stored: its id, and its receivedAt as PostgreSQL gives a timestamp(3) as text (for announcing it). */
  | { duplicate: false; id: string; receivedAt: string }
  | { duplicate: true; id: string | null }
  /** Not stored: the endpoint was deleted after the request read it. */
  | { gone: true };

export interface EventWriter {
  write(event: NewWebhookEvent): Promise<WriteResult>;
}

const MAX_BATCH = 200;
/**
 * Statements in flight at once. One: the next batch forms while it runs. bench:ingest measured 2
 * and 4 no faster (smaller batches, each as slow), with a worse p99.
 */
const MAX_IN_FLIGHT = 1;

interface Pending {
  event: NewWebhookEvent;
  resolve(result: WriteResult): void;
  reject(err: unknown): void;
}

export interface EventWriterOptions {
  /** After each statement that succeeded: how many events it carried and how long it took. */
  onStatement?(events: number, seconds: number): void;
}

export function createEventWriter(db: Database, { onStatement }: EventWriterOptions = {}): EventWriter {
  const queue: Pending[] = [];
  let inFlight = 0;

  async function drain(): Promise<void> {
    inFlight++;
    try {
      const send = async (pending: Pending[]) => {
        const started = performance.now();
        const results = await writeBatch(db, pending.map((p) => p.event));
        onStatement?.(pending.length, (performance.now() - started) / 1000);
        return results;
      };
      let batch = queue.splice(0, MAX_BATCH);
      let statement = send(batch);
      while (batch.length) {
        const outcome = await statement.then((results) => ({ results }), (error: unknown) => ({ error }));
        const done = batch;
        // The next statement goes out before this one's answers: the database works on it while
        // this thread writes them. The pool sends on a nextTick, so the answers are settled on one
        // queued after it (settling them at once would run every request's reply first).
        batch = queue.splice(0, MAX_BATCH);
        if (batch.length) statement = send(batch);
        process.nextTick(() => {
          if ('results' in outcome) done.forEach((p, i) => p.resolve(outcome.results[i]!));
          else for (const p of done) p.reject(outcome.error);
        });
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

async function writeBatch(db: Database, events: NewWebhookEvent[]): Promise<WriteResult[]> {
  const { ids, receivedAt } = await storeWebhookEvents(db, events);
  // A redelivery is answered with the first event's id (a twin inside this very batch included).
  const duplicateKeys = events.flatMap((e, i) => (ids[i] === null && e.dedupeKey !== null ? [{ endpointId: e.endpointId, dedupeKey: e.dedupeKey }] : []));
  const firsts = await storedWebhookEventIds(db, duplicateKeys);
  return events.map((e, i) => {
    const id = ids[i];
    if (id === 'gone') return { gone: true };
    if (id) return { duplicate: false, id, receivedAt };
    return { duplicate: true, id: e.dedupeKey === null ? null : (firsts.get(dedupeMapKey(e.endpointId, e.dedupeKey)) ?? null) };
  });
}
