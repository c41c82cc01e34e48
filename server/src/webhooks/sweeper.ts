// The polling loop shared by the api's outboxes (incoming events, outgoing deliveries): one
// round at a time, a pause between rounds, a failed round logged and retried, and a stop that
// waits for the round in flight.
import type { Logger } from '../logger.ts';

export interface Sweeper {
  /** Runs one round now (tests, and the loop itself); resolves to how many rows it handled. */
  sweep(): Promise<number>;
  /** Something is waiting: run the next round as soon as the current one ends. */
  wake(): void;
  stop(): Promise<void>;
}

export interface SweeperOptions {
  logger: Logger;
  /** What a failed round is called in the log. */
  name: string;
  intervalMs: number;
  /** Delay before the first round. */
  firstRoundMs: number;
  /** One round; `isStopped` lets a long round end early. */
  round: (isStopped: () => boolean) => Promise<number>;
  /** Extra clean-up after the last round (e.g. waiting for background work). */
  onStop?: () => Promise<void>;
  /** A round that handled at least this many rows left more behind: the next one starts at once. */
  fullRound?: number;
  /**
   * A wake-up runs the next round this much later (default 0): rows announced one by one in a
   * burst are then handled in one round, as one batch, instead of a round each.
   */
  coalesceMs?: number;
  /**
   * Under load, a woken round starts no sooner than this after the last round that handled rows
   * (default 0). For rounds that start workflows: a start costs the Temporal server about the same
   * whatever it carries, so rows arriving steadily gather for fewer, fuller starts. After a quiet
   * spell a wake-up still waits only coalesceMs.
   */
  minIntervalMs?: number;
}

export function startSweeper(options: SweeperOptions): Sweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<number> = Promise.resolve(0);
  let running = false;
  let woken = false;
  let wakeScheduled = false;
  /** When the last round that handled rows started (the pacing counts from it). */
  let lastBusyRoundAt = -Infinity;
  const coalesceMs = options.coalesceMs ?? 0;
  const minIntervalMs = options.minIntervalMs ?? 0;
  const wakeDelay = () => Math.max(coalesceMs, lastBusyRoundAt + minIntervalMs - Date.now());
  const isStopped = () => stopped;

  const runRound = () => {
    current = options.round(isStopped).catch((err) => {
      if (!stopped) options.logger.error({ err }, `${options.name} round failed`);
      return 0;
    });
    return current;
  };
  const loop = async () => {
    if (stopped) return;
    running = true;
    woken = false;
    const startedAt = Date.now();
    const handled = await runRound();
    running = false;
    if (handled > 0) lastBusyRoundAt = startedAt;
    const full = options.fullRound !== undefined && handled >= options.fullRound;
    if (!stopped) timer = setTimeout(() => void loop(), full ? 0 : woken ? wakeDelay() : options.intervalMs).unref();
  };
  timer = setTimeout(() => void loop(), options.firstRoundMs).unref();

  return {
    sweep: () => current.then(runRound),
    wake() {
      if (stopped) return;
      if (running) {
        woken = true;
        return;
      }
      if (wakeScheduled) return;
      wakeScheduled = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        wakeScheduled = false;
        void loop();
      }, wakeDelay()).unref();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      await options.onStop?.();
    },
  };
}
