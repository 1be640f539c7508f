import { type AsrJobPayload, asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import { createJobQueue, type JobQueue } from "../../../shared/jobs/job-queue.ts";
import type { Clock } from "../../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../../db/core-database.ts";

/**
 * Transcription waits on an outside server: one that is down gets about two hours (30 s doubling
 * to 30 min, ten tries) to come back before a job goes to the dead state. Leases are short because
 * workers heartbeat them.
 */
export function createAsrJobQueue(db: CoreDatabase, clock: Clock): JobQueue {
  return createJobQueue(db, { clock, backoff: { initialMs: 30_000, maxMs: 1_800_000 }, leaseMs: 60_000, maxAttempts: 10 });
}

/** One transcription job per dialogue revision: scheduling a revision twice finds the first job. */
export function enqueueAsrJob(db: CoreDatabase, clock: Clock, payload: AsrJobPayload) {
  return createAsrJobQueue(db, clock).enqueue(asrQueueName, payload, { dedupeKey: `${payload.dialogue_id}@${payload.revision}` });
}
