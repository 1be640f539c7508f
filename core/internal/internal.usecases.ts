import { internalErrorCodes } from "../../shared/contracts/worker-jobs.ts";
import { AppError, badRequest, conflict, notFound } from "../../shared/http/app-error.ts";
import { describeZodError, zodIssueDetails } from "../../shared/http/zod-issues.ts";
import type { ClaimedJob, JobQueue } from "../../shared/jobs/job-queue.ts";
import type { JobRow } from "../../shared/jobs/jobs.schema.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { createIngestRepository } from "../ingest/ingest.repository.ts";
import type { PipelineHost, PipelineStage, PipelineStages } from "../pipeline/pipeline-stage.ts";

/** A stage a remote worker may run, with its queue (whose options, backoff and attempts, live in the instance). */
interface RemoteStage {
  stage: PipelineStage;
  jobs: JobQueue;
}

export interface InternalDeps {
  host: PipelineHost;
  /** Every pipeline stage, by queue name. */
  stages: ReadonlyMap<string, RemoteStage>;
}

export function internalDepsOf(host: PipelineHost, stages: PipelineStages): InternalDeps {
  return { host, stages: new Map(stages.map((stage) => [stage.queue, { stage, jobs: stage.createQueue(host.db, host.clock) }])) };
}

const defaultLeaseSeconds = 300;

export async function claimRemoteJob(deps: InternalDeps, request: { queues: string[]; leaseSeconds?: number; worker?: string }): Promise<ClaimedJob | null> {
  const unknown = request.queues.filter((queue) => !deps.stages.has(queue));
  if (unknown.length > 0) {
    throw badRequest(internalErrorCodes.unknownQueue, `no remote worker may run ${unknown.join(", ")}; known queues: ${[...deps.stages.keys()].join(", ")}`);
  }
  // Any stage's queue can claim: lease length is explicit, backoff only matters on failure.
  const claimer = deps.stages.get(request.queues[0]!)!.jobs;
  const job = await claimer.claim(request.queues, { leaseMs: (request.leaseSeconds ?? defaultLeaseSeconds) * 1000 });
  if (job) deps.host.logger.debug("job claimed by a remote worker", { jobId: job.id, queue: job.queue, worker: request.worker });
  return job;
}

export async function extendRemoteLease(deps: InternalDeps, jobId: number, leaseToken: string, leaseSeconds = defaultLeaseSeconds): Promise<number> {
  const { remote } = await remoteJobOf(deps, jobId);
  const leaseMs = leaseSeconds * 1000;
  // The queue extends the lease to its clock's now + leaseMs: taken before, this is never later than the stored expiry.
  const expiresAt = deps.host.clock.now() + leaseMs;
  if (!(await remote.jobs.heartbeat({ id: jobId, leaseToken }, leaseMs))) throw leaseLost(jobId);
  return expiresAt;
}

/** Validates and applies a worker's result, then completes the job; a lost lease applies nothing. */
export async function completeRemoteJob(deps: InternalDeps, jobId: number, leaseToken: string, result: unknown): Promise<void> {
  const { remote, row } = await remoteJobOf(deps, jobId);
  const { stage, jobs } = remote;
  const parsed = stage.resultSchema.safeParse(result);
  if (!parsed.success) {
    throw badRequest(internalErrorCodes.invalidResult, `the result does not fit the ${stage.queue} queue: ${describeZodError(parsed.error)}`, zodIssueDetails(parsed.error));
  }
  const job = { id: jobId, leaseToken };
  if (!(await jobs.heartbeat(job))) throw leaseLost(jobId);
  await stage.applyResult(deps.host, stage.payloadSchema.parse(JSON.parse(row.payload)), parsed.data);
  // Applying is idempotent: if the lease was lost meanwhile, the next worker's result changes nothing.
  if (!(await jobs.complete(job))) throw leaseLost(jobId);
}

export async function failRemoteJob(deps: InternalDeps, jobId: number, leaseToken: string, error: string, permanent: boolean): Promise<"retrying" | "dead"> {
  const { remote, row } = await remoteJobOf(deps, jobId);
  const outcome = await remote.jobs.fail({ id: jobId, leaseToken }, `remote worker: ${error}`, { permanent });
  if (outcome === "lease_lost") throw leaseLost(jobId);
  if (outcome === "dead") {
    const payload = remote.stage.payloadSchema.safeParse(JSON.parse(row.payload));
    if (payload.success) await remote.stage.recordFailure(deps.host, payload.data, error);
    deps.host.logger.warn("a remote worker's job went dead", { jobId, queue: remote.stage.queue, error });
  }
  return outcome;
}

export async function readChunkAudio(deps: InternalDeps, chunkId: string): Promise<{ bytes: Uint8Array; sha256: string }> {
  const chunk = await createIngestRepository(deps.host.db).findChunk(chunkId);
  if (!chunk) throw notFound(internalErrorCodes.chunkNotFound, `no chunk ${chunkId}`);
  const bytes = await deps.host.storage.read(chunk.storedPath);
  if (!bytes) throw new AppError(internalErrorCodes.audioMissing, 410, `the audio of chunk ${chunkId} is no longer stored`);
  return { bytes, sha256: sha256Hex(bytes) };
}

/** The job's row (read once per request) and the stage of its queue. */
async function remoteJobOf(deps: InternalDeps, jobId: number): Promise<{ remote: RemoteStage; row: JobRow }> {
  const anyStage = deps.stages.values().next().value as RemoteStage;
  const row = await anyStage.jobs.get(jobId);
  if (!row) throw notFound(internalErrorCodes.jobNotFound, `no job ${jobId}`);
  const remote = deps.stages.get(row.queue);
  if (!remote) throw notFound(internalErrorCodes.jobNotFound, `job ${jobId} is not one a remote worker runs`);
  return { remote, row };
}

function leaseLost(jobId: number): AppError {
  return conflict(internalErrorCodes.leaseLost, `the lease on job ${jobId} is no longer held (expired or taken over); drop the job`);
}
