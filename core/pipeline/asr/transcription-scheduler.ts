import { analysisQueueName } from "../../../shared/contracts/analysis-jobs.ts";
import { asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../../shared/runtime/background-loop.ts";
import { createAnalysisJobQueue, createAsrJobQueue } from "../pipeline-queues.ts";
import { type AsrDeps, scheduleTranscriptions } from "./asr.usecases.ts";

const batch = 100;
/** Done transcription and analysis jobs are kept this long (the dialogue keeps the outcome for good). */
const finishedJobRetentionMs = 24 * 3600 * 1000;
const purgeEveryMs = 60_000;

/**
 * Queues closed dialogues for transcription as they close (or change after being transcribed),
 * and purges old finished jobs a batch at a time. Runs in the core whether transcription happens
 * there or on worker hosts.
 */
export function startTranscriptionScheduler(deps: AsrDeps, signal: AbortSignal, intervalMs = 2000): BackgroundLoop {
  const queues = [
    { name: asrQueueName, jobs: createAsrJobQueue(deps.db, deps.clock) },
    { name: analysisQueueName, jobs: createAnalysisJobQueue(deps.db, deps.clock) },
  ];
  let lastPurgeAt = Number.NEGATIVE_INFINITY;
  return startBackgroundLoop({
    name: "asr-scheduler",
    intervalMs,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    tick: async () => {
      const queued = await scheduleTranscriptions(deps, batch);
      let purgeBusy = false;
      if (deps.clock.now() - lastPurgeAt >= purgeEveryMs) {
        lastPurgeAt = deps.clock.now();
        for (const queue of queues) {
          const purged = await queue.jobs.deleteFinishedBefore(deps.clock.now() - finishedJobRetentionMs, { queue: queue.name, limit: 1000 });
          if (purged === 1000) purgeBusy = true;
        }
        if (purgeBusy) lastPurgeAt = Number.NEGATIVE_INFINITY;
      }
      return queued === batch || purgeBusy ? "busy" : "idle";
    },
  });
}
