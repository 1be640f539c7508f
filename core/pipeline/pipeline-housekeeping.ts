import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { closeQuietDialogues, type DialogueDeps } from "./dialogues/dialogues.usecases.ts";
import type { PipelineStages } from "./pipeline-stage.ts";

/** Done pipeline jobs are kept this long (the chunk or dialogue keeps the outcome for good). */
const finishedJobRetentionMs = 24 * 3600 * 1000;
const purgeBatch = 1000;

export interface HousekeepingDeps extends DialogueDeps {
  db: CoreDatabase;
  /** Every stage's queue is purged. */
  stages: PipelineStages;
  logger: Logger;
}

/**
 * Every interval: close dialogues whose register went quiet with no audio arriving to confirm the
 * silence, and purge old finished pipeline jobs a batch at a time (never a long lock on the database).
 */
export function startPipelineHousekeeping(deps: HousekeepingDeps, signal: AbortSignal, intervalMs = 30_000): BackgroundLoop {
  return startBackgroundLoop({
    name: "pipeline-housekeeping",
    intervalMs,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    tick: async () => {
      const closed = await closeQuietDialogues(deps.db, deps);
      if (closed > 0) deps.logger.info("closed quiet dialogues", { closed });
      let more = false;
      for (const stage of deps.stages) {
        const purged = await stage.createQueue(deps.db, deps.clock).deleteFinishedBefore(deps.clock.now() - finishedJobRetentionMs, { queue: stage.queue, limit: purgeBatch });
        if (purged === purgeBatch) more = true;
      }
      return more ? "busy" : "idle";
    },
  });
}
