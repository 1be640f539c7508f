import type { ClaimedJob, JobQueue } from "../../shared/jobs/job-queue.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { keepLeaseAlive } from "./job-lease.ts";

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
}

/** Workers inside the core: `slots` loops, each claiming one job at a time and heartbeating it while it runs. */
export function startLocalJobSlots(options: LocalJobSlotsOptions): { loops: BackgroundLoop[]; stopped: Promise<void> } {
  const loops = Array.from({ length: options.slots }, (_, index) =>
    startBackgroundLoop({
      name: options.slots > 1 ? `${options.name}-${index + 1}` : options.name,
      intervalMs: options.intervalMs,
      clock: options.clock,
      logger: options.logger,
      signal: options.signal,
      tick: async () => {
        const job = await options.queue.claim(options.queueName, { leaseMs: options.leaseMs });
        if (!job) return "idle";
        const lease = keepLeaseAlive({ jobId: job.id, leaseMs: options.leaseMs, clock: options.clock, heartbeat: () => options.queue.heartbeat(job, options.leaseMs) });
        try {
          await options.run(job, lease.signal);
        } finally {
          await lease.stop();
        }
        return "busy";
      },
    }),
  );
  return { loops, stopped: Promise.all(loops.map((loop) => loop.stopped)).then(() => undefined) };
}
