import type { BackoffPolicy } from "../jobs/backoff.ts";
import { backoffDelayMs } from "../jobs/backoff.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "./clock.ts";

export interface LoopState {
  name: string;
  running: boolean;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastError: string | null;
}

/** What a tick reports: "busy" runs the next tick at once (draining a backlog), "idle" waits the interval. */
export type TickOutcome = "busy" | "idle" | undefined;

export interface BackgroundLoopOptions {
  name: string;
  intervalMs: number;
  tick: (signal: AbortSignal) => Promise<TickOutcome | void>;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Wait this long before the first tick (for a loop whose work was just done at start). */
  initialDelayMs?: number;
}

export interface BackgroundLoop {
  state(): LoopState;
  /** Resolves once the loop has seen the abort and its current tick has finished. */
  readonly stopped: Promise<void>;
}

/**
 * Runs `tick` until `signal` aborts. A failing tick backs off with a cap and jitter; a streak of
 * failures is logged once when it starts and once when it ends, not on every tick.
 */
export function startBackgroundLoop(options: BackgroundLoopOptions): BackgroundLoop {
  const backoff = options.backoff ?? { initialMs: options.intervalMs, maxMs: Math.max(options.intervalMs * 30, 60_000) };
  const state: LoopState = {
    name: options.name,
    running: true,
    consecutiveFailures: 0,
    lastSuccessAt: null,
    lastFailureAt: null,
    lastError: null,
  };

  const run = async () => {
    if (options.initialDelayMs) await options.clock.sleep(options.initialDelayMs, options.signal);
    while (!options.signal.aborted) {
      let delay = options.intervalMs;
      try {
        const outcome = await options.tick(options.signal);
        if (state.consecutiveFailures > 0) {
          options.logger.info(`${options.name} recovered`, { loop: options.name, failures: state.consecutiveFailures });
        }
        state.consecutiveFailures = 0;
        state.lastSuccessAt = options.clock.now();
        if (outcome === "busy") delay = 0;
      } catch (error) {
        state.consecutiveFailures++;
        state.lastFailureAt = options.clock.now();
        state.lastError = error instanceof Error ? error.message : String(error);
        if (state.consecutiveFailures === 1) {
          options.logger.error(`${options.name} failed; retrying with backoff`, { loop: options.name, error });
        }
        delay = backoffDelayMs(state.consecutiveFailures, backoff, options.random);
      }
      if (delay > 0) await options.clock.sleep(delay, options.signal);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
    state.running = false;
  };

  return { state: () => ({ ...state }), stopped: run() };
}
