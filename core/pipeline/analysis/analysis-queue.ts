import { type AnalysisJobPayload, analysisQueueName } from "../../../shared/contracts/analysis-jobs.ts";
import { createJobQueue, type JobQueue } from "../../../shared/jobs/job-queue.ts";
import type { Clock } from "../../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../../db/core-database.ts";

/** Analysis waits on an outside LLM: one that is down gets about an hour (eight tries) to come back. Leases are short because workers heartbeat them. */
export function createAnalysisJobQueue(db: CoreDatabase, clock: Clock): JobQueue {
  return createJobQueue(db, { clock, backoff: { initialMs: 30_000, maxMs: 1_800_000 }, leaseMs: 60_000, maxAttempts: 8 });
}

/** One analysis job per transcript and analysis pass. */
export function enqueueAnalysisJob(db: CoreDatabase, clock: Clock, payload: AnalysisJobPayload) {
  return createAnalysisJobQueue(db, clock).enqueue(analysisQueueName, payload, { dedupeKey: `${payload.transcript_id}#${payload.pass}` });
}
