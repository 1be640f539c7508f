import { z } from "zod";

/**
 * Core → `core worker` on another host: the internal API over the core's durable job queue.
 * Every call carries `Authorization: Bearer <INTERNAL_TOKEN>`.
 *
 *   POST /api/v1/internal/jobs/claim            {"queues":["vad"],"lease_seconds":300}
 *        200 {"job":{"job_id","queue","payload","attempt","max_attempts","lease_token","lease_expires_at"}}
 *        200 {"job":null} when nothing is due
 *   POST /api/v1/internal/jobs/{job_id}/heartbeat {"lease_token","lease_seconds"?}  → {"lease_expires_at"}
 *   POST /api/v1/internal/jobs/{job_id}/result    {"lease_token","result":{…queue's result…}} → {"status":"done"}
 *   POST /api/v1/internal/jobs/{job_id}/failure   {"lease_token","error","permanent"?} → {"outcome":"retrying"|"dead"}
 *   GET  /api/v1/internal/chunks/{chunk_id}/audio → the chunk's OGG/Opus bytes (X-Content-SHA256)
 *
 * A lease that expired or was taken over answers 409 `internal.lease_lost`: the worker drops the
 * job without reporting. Each queue defines its payload and result schemas (e.g. vad-jobs.ts).
 */
export const internalApiPaths = {
  claim: "/api/v1/internal/jobs/claim",
  heartbeat: (jobId: number) => `/api/v1/internal/jobs/${jobId}/heartbeat`,
  result: (jobId: number) => `/api/v1/internal/jobs/${jobId}/result`,
  failure: (jobId: number) => `/api/v1/internal/jobs/${jobId}/failure`,
  chunkAudio: (chunkId: string) => `/api/v1/internal/chunks/${chunkId}/audio`,
} as const;

export const minLeaseSeconds = 10;
export const maxLeaseSeconds = 3600;

const queueName = z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, { message: "must be a queue name such as vad" });
const leaseSeconds = z.number().int().min(minLeaseSeconds).max(maxLeaseSeconds);
const leaseToken = z.string().min(1).max(200);

export const claimJobRequest = z
  .object({
    queues: z.array(queueName).min(1).max(16),
    lease_seconds: leaseSeconds.optional(),
    /** Free text naming the worker (host, pid) for the core's log. */
    worker: z.string().max(200).optional(),
  })
  .strict();

export const claimedJob = z.object({
  job_id: z.number().int().positive(),
  queue: z.string(),
  payload: z.unknown(),
  attempt: z.number().int().positive(),
  max_attempts: z.number().int().positive(),
  lease_token: z.string(),
  lease_expires_at: z.string(),
});

export const claimJobResponse = z.object({ job: claimedJob.nullable() });

export const heartbeatRequest = z.object({ lease_token: leaseToken, lease_seconds: leaseSeconds.optional() }).strict();
export const heartbeatResponse = z.object({ lease_expires_at: z.string() });

export const jobResultRequest = z.object({ lease_token: leaseToken, result: z.unknown() }).strict();
export const jobResultResponse = z.object({ status: z.literal("done") });

export const jobFailureRequest = z
  .object({ lease_token: leaseToken, error: z.string().min(1).max(2000), permanent: z.boolean().default(false) })
  .strict();
export const jobFailureResponse = z.object({ outcome: z.enum(["retrying", "dead"]) });

export type ClaimedJobWire = z.output<typeof claimedJob>;

export const internalErrorCodes = {
  unknownQueue: "internal.unknown_queue",
  jobNotFound: "internal.job_not_found",
  leaseLost: "internal.lease_lost",
  invalidResult: "internal.invalid_result",
  chunkNotFound: "internal.chunk_not_found",
  audioMissing: "internal.audio_missing",
} as const;
