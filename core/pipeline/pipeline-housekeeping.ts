import { analysisQueueName } from "../../shared/contracts/analysis-jobs.ts";
import { asrQueueName } from "../../shared/contracts/asr-jobs.ts";
import { vadQueueName } from "../../shared/contracts/vad-jobs.ts";
import type { JobQueue } from "../../shared/jobs/job-queue.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { closeQuietDialogues, type DialogueDeps } from "./dialogues/dialogues.usecases.ts";

/** Done pipeline jobs are kept this long (the chunk or dialogue keeps the outcome for good). */
const finishedJobRetentionMs = 24 * 3600 * 1000;
const purgeBatch = 1000;
const purgedQueues = [vadQueueName, asrQueueName, analysisQueueName];

export interface HousekeepingDeps extends DialogueDeps {
  db: CoreDatabase;
  /** Any of the pipeline's queues: purging names the queue it deletes from. */
  jobs: JobQueue;
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
      for (const queue of purgedQueues) {
        const purged = await deps.jobs.deleteFinishedBefore(deps.clock.now() - finishedJobRetentionMs, { queue, limit: purgeBatch });
        if (purged === purgeBatch) more = true;
      }
      return more ? "busy" : "idle";
    },
  });
}
