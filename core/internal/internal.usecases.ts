import { internalErrorCodes } from "../../shared/contracts/worker-jobs.ts";
import { AppError, badRequest, conflict, notFound } from "../../shared/http/app-error.ts";
import { describeZodError, zodIssueDetails } from "../../shared/http/zod-issues.ts";
import type { ClaimedJob } from "../../shared/jobs/job-queue.ts";
import type { JobRow } from "../../shared/jobs/jobs.schema.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import type { ChunkStorage } from "../ingest/chunk-storage.ts";
import { findChunk } from "../ingest/ingest.repository.ts";
import type { RemoteJobHandler, RemoteJobHandlers } from "./remote-jobs.ts";

export interface InternalDeps {
  db: CoreDatabase;
  /** The clock the handlers' queues run on. */
  clock: Clock;
  storage: ChunkStorage;
  handlers: RemoteJobHandlers;
  logger: Logger;
}

const defaultLeaseSeconds = 300;

export async function claimRemoteJob(deps: InternalDeps, request: { queues: string[]; leaseSeconds?: number; worker?: string }): Promise<ClaimedJob | null> {
  const unknown = request.queues.filter((queue) => !deps.handlers.has(queue));
  if (unknown.length > 0) {
    throw badRequest(internalErrorCodes.unknownQueue, `no remote worker may run ${unknown.join(", ")}; known queues: ${[...deps.handlers.keys()].join(", ")}`);
  }
  // Any handler's queue can claim: lease length is explicit, backoff only matters on failure.
  const claimer = deps.handlers.get(request.queues[0]!)!.jobs;
  const job = await claimer.claim(request.queues, { leaseMs: (request.leaseSeconds ?? defaultLeaseSeconds) * 1000 });
  if (job) deps.logger.debug("job claimed by a remote worker", { jobId: job.id, queue: job.queue, worker: request.worker });
  return job;
}

export async function extendRemoteLease(deps: InternalDeps, jobId: number, leaseToken: string, leaseSeconds = defaultLeaseSeconds): Promise<number> {
  const { handler } = await remoteJobOf(deps, jobId);
  const leaseMs = leaseSeconds * 1000;
  // The queue extends the lease to its clock's now + leaseMs: taken before, this is never later than the stored expiry.
  const expiresAt = deps.clock.now() + leaseMs;
  if (!(await handler.jobs.heartbeat({ id: jobId, leaseToken }, leaseMs))) throw leaseLost(jobId);
  return expiresAt;
}

/** Validates and applies a worker's result, then completes the job; a lost lease applies nothing. */
export async function completeRemoteJob(deps: InternalDeps, jobId: number, leaseToken: string, result: unknown): Promise<void> {
  const { handler, row } = await remoteJobOf(deps, jobId);
  const parsed = handler.resultSchema.safeParse(result);
  if (!parsed.success) {
    throw badRequest(internalErrorCodes.invalidResult, `the result does not fit the ${handler.queue} queue: ${describeZodError(parsed.error)}`, zodIssueDetails(parsed.error));
  }
  const job = { id: jobId, leaseToken };
  if (!(await handler.jobs.heartbeat(job))) throw leaseLost(jobId);
  await handler.applyResult({ id: jobId, payload: JSON.parse(row.payload) }, parsed.data);
  // Applying is idempotent: if the lease was lost meanwhile, the next worker's result changes nothing.
  if (!(await handler.jobs.complete(job))) throw leaseLost(jobId);
}

export async function failRemoteJob(deps: InternalDeps, jobId: number, leaseToken: string, error: string, permanent: boolean): Promise<"retrying" | "dead"> {
  const { handler, row } = await remoteJobOf(deps, jobId);
  const outcome = await handler.jobs.fail({ id: jobId, leaseToken }, `remote worker: ${error}`, { permanent });
  if (outcome === "lease_lost") throw leaseLost(jobId);
  if (outcome === "dead") {
    await handler.onDead?.({ id: jobId, payload: JSON.parse(row.payload) }, error);
    deps.logger.warn("a remote worker's job went dead", { jobId, queue: handler.queue, error });
  }
  return outcome;
}

export async function readChunkAudio(deps: InternalDeps, chunkId: string): Promise<{ bytes: Uint8Array; sha256: string }> {
  const chunk = await findChunk(deps.db, chunkId);
  if (!chunk) throw notFound(internalErrorCodes.chunkNotFound, `no chunk ${chunkId}`);
  const bytes = await deps.storage.read(chunk.storedPath);
  if (!bytes) throw new AppError(internalErrorCodes.audioMissing, 410, `the audio of chunk ${chunkId} is no longer stored`);
  return { bytes, sha256: sha256Hex(bytes) };
}

/** The job's row (read once per request) and the handler of its queue. */
async function remoteJobOf(deps: InternalDeps, jobId: number): Promise<{ handler: RemoteJobHandler; row: JobRow }> {
  const anyHandler = deps.handlers.values().next().value as RemoteJobHandler;
  const row = await anyHandler.jobs.get(jobId);
  if (!row) throw notFound(internalErrorCodes.jobNotFound, `no job ${jobId}`);
  const handler = deps.handlers.get(row.queue);
  if (!handler) throw notFound(internalErrorCodes.jobNotFound, `job ${jobId} is not one a remote worker runs`);
  return { handler, row };
}

function leaseLost(jobId: number): AppError {
  return conflict(internalErrorCodes.leaseLost, `the lease on job ${jobId} is no longer held (expired or taken over); drop the job`);
}
