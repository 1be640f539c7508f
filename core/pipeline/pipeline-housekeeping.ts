import { vadQueueName } from "../../shared/contracts/vad-jobs.ts";
import type { JobQueue } from "../../shared/jobs/job-queue.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { closeQuietDialogues, type DialogueDeps } from "./dialogues/dialogues.usecases.ts";

/** Done VAD jobs are kept this long (the chunk row keeps the outcome for good). */
const finishedJobRetentionMs = 24 * 3600 * 1000;
const purgeBatch = 1000;

export interface HousekeepingDeps extends DialogueDeps {
  db: CoreDatabase;
  vadJobs: JobQueue;
  logger: Logger;
}

/**
 * Every interval: close dialogues whose register went quiet with no audio arriving to confirm the
 * silence, and purge old finished VAD jobs a batch at a time (never a long lock on the database).
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
      const purged = await deps.vadJobs.deleteFinishedBefore(deps.clock.now() - finishedJobRetentionMs, { queue: vadQueueName, limit: purgeBatch });
      return purged === purgeBatch ? "busy" : "idle";
    },
  });
}
