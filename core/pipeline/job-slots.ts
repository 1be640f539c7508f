import type { z } from "zod";
import type { ClaimedJob, JobQueue } from "../../shared/jobs/job-queue.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, type BackgroundLoopOptions, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { keepLeaseAlive } from "../../shared/jobs/lease.ts";
import { JobFailedError } from "./job-lease.ts";

export interface JobSlots {
  loops: BackgroundLoop[];
  stopped: Promise<void>;
}

/** `slots` loops running the same tick, numbered after `name` when there are several. */
export function startJobSlots(options: BackgroundLoopOptions & { slots: number }): JobSlots {
  const loops = Array.from({ length: options.slots }, (_, index) => startBackgroundLoop({ ...options, name: options.slots > 1 ? `${options.name}-${index + 1}` : options.name }));
  return { loops, stopped: Promise.all(loops.map((loop) => loop.stopped)).then(() => undefined) };
}

export interface LocalJobSlotsOptions {
  /** Loop name for logs and /health; slots are numbered after it. */
  name: string;
  queueName: string;
  queue: JobQueue;
  /** Jobs this process runs at once (the provider's concurrency limit). */
  slots: number;
  leaseMs: number;
  intervalMs: number;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
  /** Runs one claimed job to its end (complete or fail it); `lease` aborts if the lease is lost. */
  run(job: ClaimedJob, lease: AbortSignal): Promise<void>;
  /** Called when a claim finds nothing due. */
  onIdle?(): void;
}

/** Workers inside the core: `slots` loops, each claiming one job at a time and heartbeating it while it runs. */
export function startLocalJobSlots(options: LocalJobSlotsOptions): JobSlots {
  return startJobSlots({
    name: options.name,
    slots: options.slots,
    intervalMs: options.intervalMs,
    clock: options.clock,
    logger: options.logger,
    signal: options.signal,
    tick: async () => {
      const job = await options.queue.claim(options.queueName, { leaseMs: options.leaseMs });
      if (!job) {
        options.onIdle?.();
        return "idle";
      }
      const lease = keepLeaseAlive({ what: `job ${job.id}`, leaseMs: options.leaseMs, clock: options.clock, heartbeat: () => options.queue.heartbeat(job, options.leaseMs) });
      try {
        await options.run(job, lease.signal);
      } finally {
        await lease.stop();
      }
      return "busy";
    },
  });
}

/** How a job failed: the reason stored on it, and whether a retry can help. */
export interface JobFailure {
  message: string;
  permanent: boolean;
}

/**
 * Records the failure of a job the core ran itself: `counted` sees the outcome, `dead` shows the
 * reason on the job's subject once the job gives up. A job that will be retried throws
 * JobFailedError, so that its slot backs off before the next claim.
 */
export async function failLocalJob(
  queue: JobQueue,
  job: ClaimedJob,
  failure: JobFailure,
  on: { counted?(outcome: "retrying" | "dead"): void; dead(message: string): Promise<void> },
): Promise<void> {
  const outcome = await queue.fail(job, failure.message, { permanent: failure.permanent });
  on.counted?.(outcome === "dead" ? "dead" : "retrying");
  if (outcome === "dead") await on.dead(failure.message);
  if (outcome === "retrying") throw new JobFailedError(failure.message);
}

/** A claimed job's payload read with its wire schema; a malformed one fails the job for good (null), since no retry can mend it. */
export async function readLocalJobPayload<Payload>(queue: JobQueue, job: ClaimedJob, schema: z.ZodType<Payload>, what: string): Promise<Payload | null> {
  const payload = schema.safeParse(job.payload);
  if (payload.success) return payload.data;
  await queue.fail(job, `malformed ${what} job payload: ${payload.error.message}`, { permanent: true });
  return null;
}
