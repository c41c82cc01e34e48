// Turns change notices into a subscription stream: each notice is re-read from the database
// (so subscribers see only committed rows of their own organization), optionally starting
// with the current state and ending once a final state was sent.
import type { ChangeNotice } from '@patchbay/db';

export interface LiveOptions<T> {
  load: (notice: ChangeNotice) => Promise<T | null>;
  initial?: () => Promise<T | null>;
  isFinal?: (value: T) => boolean;
}

export function liveStream<T>(notices: AsyncIterableIterator<ChangeNotice>, options: LiveOptions<T>): AsyncIterableIterator<T> {
  let started = false;
  let finished = false;
  const finish = async (): Promise<IteratorResult<T>> => {
    finished = true;
    await notices.return?.();
    return { value: undefined, done: true };
  };
  const emit = async (value: T): Promise<IteratorResult<T>> => {
    if (options.isFinal?.(value)) finished = true;
    return { value, done: false };
  };

  const stream: AsyncIterableIterator<T> = {
    async next() {
      if (finished) return finish();
      if (!started) {
        started = true;
        const first = await options.initial?.();
        if (first) return emit(first);
      }
      for (;;) {
        const notice = await notices.next();
        if (notice.done) return finish();
        const value = await options.load(notice.value);
        if (value) return emit(value);
      }
    },
    return: finish,
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}
