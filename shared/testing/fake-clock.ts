import type { Clock } from "../runtime/clock.ts";

export interface FakeClock extends Clock {
  /** Moves time forward, waking every sleeper whose deadline has passed. */
  advance(ms: number): Promise<void>;
  set(timestamp: number): Promise<void>;
  /** Sleepers not yet woken. */
  pendingSleeps(): number;
}

/** A clock that only moves when the test says so. */
export function createFakeClock(start = Date.UTC(2026, 0, 15, 9, 0, 0)): FakeClock {
  let now = start;
  let sleepers: Array<{ wakeAt: number; wake: () => void }> = [];

  const wakeDue = async () => {
    const due = sleepers.filter((sleeper) => sleeper.wakeAt <= now);
    sleepers = sleepers.filter((sleeper) => sleeper.wakeAt > now);
    for (const sleeper of due) sleeper.wake();
    // Let the woken code run up to its next await before the test continues.
    for (let turn = 0; turn < 10; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  };

  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const sleeper = {
          wakeAt: now + Math.max(0, ms),
          wake: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleepers = sleepers.filter((entry) => entry !== sleeper);
          resolve();
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        sleepers.push(sleeper);
      });
    },
    async advance(ms) {
      now += ms;
      await wakeDue();
    },
    async set(timestamp) {
      now = timestamp;
      await wakeDue();
    },
    pendingSleeps: () => sleepers.length,
  };
}
