import { hostname } from "node:os";
import { type ClaimedJobWire, internalErrorCodes } from "../../shared/contracts/worker-jobs.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { BackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { keepLeaseAlive } from "../../shared/jobs/lease.ts";
import { JobFailedError } from "../pipeline/job-lease.ts";
import { startJobSlots } from "../pipeline/job-slots.ts";
import { InternalApiError, type InternalApiClient } from "./internal-api-client.ts";

/** What a remote job's work came to: a result for the queue's schema, or a failure to record. */
export type RemoteJobOutcome = { result: unknown } | { failure: string; permanent: boolean };

export interface RemoteWorkerDeps {
  client: InternalApiClient;
  clock: Clock;
  logger: Logger;
  /** Pause between claims when the core has nothing due. */
  idleIntervalMs?: number;
}

export interface RemoteJobWorkerOptions {
  /** Loop name for logs; slots are numbered after it. */
  name: string;
  queue: string;
  slots: number;
  leaseSeconds: number;
  run(job: ClaimedJobWire, lease: AbortSignal): Promise<RemoteJobOutcome>;
  /** Sees how long each reported result spent being claimed, worked on and reported (benchmarks). */
  observe?: (phases: { claimMs: number; runMs: number; reportMs: number }) => void;
}

export interface RemoteJobWorker {
  loops: BackgroundLoop[];
  /** Jobs this worker finished (a result or a recorded failure), for its log and tests. */
  processed(): number;
  stop(): Promise<void>;
}

/** This process as the core's log and records name it. */
export const remoteWorkerName = `${hostname()}/${process.pid}`;

/**
 * `core worker`: `slots` loops that claim a queue's jobs over the internal API, heartbeat them
 * while they run and report the outcome. A lost lease drops the job silently (another worker has
 * it); a recorded failure makes the loop back off before it claims again.
 */
export function startRemoteJobWorker(deps: RemoteWorkerDeps, options: RemoteJobWorkerOptions, signal: AbortSignal): RemoteJobWorker {
  let processed = 0;
  const dropLostLease = (job: ClaimedJobWire) => {
    deps.logger.warn("lease on a job was lost; dropping it", { jobId: job.job_id, queue: options.queue });
    return "busy" as const;
  };
  const tick = async () => {
    const claimStarted = performance.now();
    const job = await deps.client.claim([options.queue], { leaseSeconds: options.leaseSeconds, worker: remoteWorkerName });
    if (!job) return "idle" as const;
    const runStarted = performance.now();
    const lease = keepLeaseAlive({
      what: `job ${job.job_id}`,
      leaseMs: options.leaseSeconds * 1000,
      clock: deps.clock,
      heartbeat: async () => {
        try {
          await deps.client.heartbeat(job, options.leaseSeconds);
          return true;
        } catch (error) {
          if (error instanceof InternalApiError && (error.leaseLost || error.status === 404)) return false;
          throw error;
        }
      },
    });
    try {
      let outcome: RemoteJobOutcome;
      try {
        outcome = await options.run(job, lease.signal);
      } catch (error) {
        if (lease.lost()) return dropLostLease(job);
        throw error;
      }
      if (lease.lost()) return dropLostLease(job);
      if ("result" in outcome) {
        try {
          const reportStarted = performance.now();
          await deps.client.reportResult(job, outcome.result);
          processed++;
          options.observe?.({ claimMs: runStarted - claimStarted, runMs: reportStarted - runStarted, reportMs: performance.now() - reportStarted });
          return "busy" as const;
        } catch (error) {
          if (!(error instanceof InternalApiError && error.code === internalErrorCodes.invalidResult)) throw error;
          outcome = { failure: `the core refused the result: ${error.message}`, permanent: false };
        }
      }
      await deps.client.reportFailure(job, outcome.failure, outcome.permanent);
      processed++;
      if (!outcome.permanent) throw new JobFailedError(outcome.failure);
      return "busy" as const;
    } catch (error) {
      if (error instanceof InternalApiError && error.leaseLost) return dropLostLease(job);
      throw error;
    } finally {
      await lease.stop();
    }
  };
  const slots = startJobSlots({ name: options.name, slots: options.slots, intervalMs: deps.idleIntervalMs ?? 1000, clock: deps.clock, logger: deps.logger, signal, tick });
  return {
    loops: slots.loops,
    processed: () => processed,
    stop: () => slots.stopped,
  };
}
