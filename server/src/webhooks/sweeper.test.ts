import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.ts';
import { startSweeper, type Sweeper } from './sweeper.ts';

/** A sweeper whose rounds record when they started, take `roundMs` and handle `handled()` rows each. */
function pacedSweeper(handled: () => number, roundMs = 0) {
  const rounds: number[] = [];
  const sweeper = startSweeper({
    logger: createLogger('silent'),
    name: 'test dispatcher',
    intervalMs: 1_000,
    firstRoundMs: 0,
    round: async () => {
      rounds.push(Date.now());
      if (roundMs) await new Promise((resolve) => setTimeout(resolve, roundMs));
      return handled();
    },
    fullRound: 50,
    coalesceMs: 25,
    minIntervalMs: 500,
  });
  return { sweeper, rounds };
}

describe('startSweeper pacing', () => {
  let sweeper: Sweeper | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(async () => {
    const stopping = sweeper?.stop();
    await vi.runOnlyPendingTimersAsync();
    await stopping;
    vi.useRealTimers();
  });

  it('runs a wake-up after a quiet spell once coalesceMs has passed', async () => {
    let rows = 0;
    const paced = pacedSweeper(() => rows);
    sweeper = paced.sweeper;
    await vi.advanceTimersByTimeAsync(0); // the first round: nothing pending
    expect(paced.rounds).toEqual([0]);

    await vi.advanceTimersByTimeAsync(3_000); // quiet: only the periodic rounds, which handle nothing
    expect(paced.rounds).toEqual([0, 1_000, 2_000, 3_000]);

    rows = 1;
    await vi.advanceTimersByTimeAsync(100);
    paced.sweeper.wake(); // at 3,100: no busy round within minIntervalMs, so only the coalescing delay
    await vi.advanceTimersByTimeAsync(24);
    expect(paced.rounds).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(paced.rounds.at(-1)).toBe(3_125);
  });

  it('under steady load starts a woken round minIntervalMs after the last round that handled rows', async () => {
    const paced = pacedSweeper(() => 5);
    sweeper = paced.sweeper;
    await vi.advanceTimersByTimeAsync(0); // a busy round at 0
    // Rows keep arriving, a wake-up every 40 ms: they gather into one round at 500, then one at 1,000.
    for (let i = 0; i < 24; i++) {
      await vi.advanceTimersByTimeAsync(40);
      paced.sweeper.wake();
    }
    await vi.advanceTimersByTimeAsync(999 - Date.now());
    expect(paced.rounds).toEqual([0, 500]);
    await vi.advanceTimersByTimeAsync(1);
    expect(paced.rounds).toEqual([0, 500, 1_000]);
  });

  it("paces a wake-up that came during a round from that round's start", async () => {
    const paced = pacedSweeper(() => 5, 100);
    sweeper = paced.sweeper;
    await vi.advanceTimersByTimeAsync(50); // the round that started at 0 is still running
    paced.sweeper.wake();
    await vi.advanceTimersByTimeAsync(449);
    expect(paced.rounds).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(paced.rounds).toEqual([0, 500]);
  });

  it('runs the next round at once after a full one (a backlog), whatever the pacing', async () => {
    let rows = 50;
    const paced = pacedSweeper(() => rows);
    sweeper = paced.sweeper;
    await vi.advanceTimersByTimeAsync(0);
    rows = 3;
    await vi.advanceTimersByTimeAsync(5);
    expect(paced.rounds).toHaveLength(2);
    const [, busy] = paced.rounds as [number, number];
    expect(busy).toBeLessThanOrEqual(1);
    // That round handled 3 rows: the next wake-up waits for the pacing.
    paced.sweeper.wake();
    await vi.advanceTimersByTimeAsync(busy + 499 - Date.now());
    expect(paced.rounds).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(paced.rounds).toEqual([0, busy, busy + 500]);
  });
});
