// Cancellation and deadlines around driver calls that take no AbortSignal of their own.

/** Waits for `pending` (a pooled connection), giving up on abort or after `timeoutMs`; a connection that arrives late is handed to `discard`. */
export function acquire<T>(pending: Promise<T>, discard: (value: T) => void, signal: AbortSignal, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      if (done) return;
      finish();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      if (done) return;
      finish();
      reject(onTimeout());
    }, timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        if (done) return discard(value);
        finish();
        resolve(value);
      },
      (err) => {
        if (done) return;
        finish();
        reject(err);
      },
    );
    if (signal.aborted) onAbort();
  });
}

export type Interruption = 'abort' | 'deadline';

export type Supervised<T> =
  | { interrupted?: undefined; ok: true; value: T }
  | { interrupted?: undefined; ok: false; error: unknown }
  /** `clean` is false when the interrupt or the statement didn't finish in time: the connection must be destroyed. */
  | { interrupted: Interruption; clean: boolean; outcome?: { ok: true; value: T } | { ok: false; error: unknown } };

export interface SuperviseOptions {
  signal: AbortSignal;
  /** Client-side deadline for the whole statement (ms). */
  deadlineMs: number;
  /** Stops the running statement on the server (pg_cancel_backend / KILL QUERY). */
  interrupt: () => Promise<void>;
  /** How long to wait for the interrupt, and then for the statement to give up. */
  graceMs: number;
}

const sleep = (ms: number) => new Promise<undefined>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` (already started) until it settles, the signal aborts or the deadline passes. On
 * abort or deadline the statement is interrupted on the server, and this waits (bounded) for the
 * interrupt to land and the statement to end, so the connection is never reused while a cancel
 * request for it may still be in flight.
 */
export async function supervise<T>(work: Promise<T>, options: SuperviseOptions): Promise<Supervised<T>> {
  const settled = work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const interruption = new Promise<Interruption>((resolve) => {
    if (options.signal.aborted) return resolve('abort');
    onAbort = () => resolve('abort');
    options.signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => resolve('deadline'), options.deadlineMs);
  });
  const first = await Promise.race([settled, interruption]);
  clearTimeout(timer);
  if (onAbort) options.signal.removeEventListener('abort', onAbort);
  if (typeof first === 'object') return first;

  const interrupted = await Promise.race([
    options.interrupt().then(
      () => true,
      () => false,
    ),
    sleep(options.graceMs).then(() => false),
  ]);
  const outcome = await Promise.race([settled, sleep(options.graceMs)]);
  return { interrupted: first, clean: interrupted && outcome !== undefined, outcome };
}
