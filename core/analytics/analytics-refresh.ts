import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { AnalyticsDeps } from "./analytics.usecases.ts";

/**
 * Keeps the dashboard's facts, search index and day totals caught up with the analyses and re-plans,
 * from start on, so no request pays for building them: a request only catches up the last few
 * analyses when they are at most one batch.
 */
export function startAnalyticsRefresh(deps: { analytics: AnalyticsDeps; clock: Clock; logger: Logger }, signal: AbortSignal, intervalMs = 5_000): BackgroundLoop {
  return startBackgroundLoop({
    name: "analytics-refresh",
    intervalMs,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    tick: async (tickSignal) => {
      await deps.analytics.repository.refresh(deps.analytics.calendar, tickSignal);
      return "idle";
    },
  });
}
