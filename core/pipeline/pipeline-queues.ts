import type { AnalysisJobPayload } from "../../shared/contracts/analysis-jobs.ts";
import { analysisQueueName } from "../../shared/contracts/analysis-jobs.ts";
import type { AsrJobPayload } from "../../shared/contracts/asr-jobs.ts";
import { asrQueueName } from "../../shared/contracts/asr-jobs.ts";
import { createJobQueue, type JobQueue } from "../../shared/jobs/job-queue.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../db/core-database.ts";

/**
 * Transcription and analysis wait on outside servers: a provider that is down gets about two hours
 * (transcription: 30 s doubling to 30 min, ten tries) or one hour (analysis, eight tries) to come
 * back before a job goes to the dead state. Leases are short because workers heartbeat them.
 */
export function createAsrJobQueue(db: CoreDatabase, clock: Clock): JobQueue {
  return createJobQueue(db, { clock, backoff: { initialMs: 30_000, maxMs: 1_800_000 }, leaseMs: 60_000, maxAttempts: 10 });
}

export function createAnalysisJobQueue(db: CoreDatabase, clock: Clock): JobQueue {
  return createJobQueue(db, { clock, backoff: { initialMs: 30_000, maxMs: 1_800_000 }, leaseMs: 60_000, maxAttempts: 8 });
}

/** One transcription job per dialogue revision: scheduling a revision twice finds the first job. */
export function enqueueAsrJob(db: CoreDatabase, clock: Clock, payload: AsrJobPayload) {
  return createAsrJobQueue(db, clock).enqueue(asrQueueName, payload, { dedupeKey: `${payload.dialogue_id}@${payload.revision}` });
}

/** One analysis job per transcript and analysis pass. */
export function enqueueAnalysisJob(db: CoreDatabase, clock: Clock, payload: AnalysisJobPayload) {
  return createAnalysisJobQueue(db, clock).enqueue(analysisQueueName, payload, { dedupeKey: `${payload.transcript_id}#${payload.pass}` });
}
