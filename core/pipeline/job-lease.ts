import type { Clock } from "../../shared/runtime/clock.ts";

export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`the lease on job ${jobId} was lost (expired or taken over); its work is dropped`);
    this.name = "LeaseLostError";
  }
}

/** A job that failed and was recorded as failed: the worker's loop backs off before its next claim. */
export class JobFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JobFailedError";
  }
}

export interface LeaseKeeper {
  /** Aborts when a heartbeat finds the lease gone: the work must stop and report nothing. */
  readonly signal: AbortSignal;
  lost(): boolean;
  stop(): Promise<void>;
}

/**
 * Heartbeats a claimed job every third of its lease while the work runs. A heartbeat that fails
 * for another reason (the core restarting) is tried again at the next beat; the lease outlasts a miss.
 */
export function keepLeaseAlive(options: { jobId: number; leaseMs: number; clock: Clock; heartbeat: () => Promise<boolean> }): LeaseKeeper {
  const stopping = new AbortController();
  const lost = new AbortController();
  const beats = (async () => {
    while (!stopping.signal.aborted) {
      await options.clock.sleep(Math.max(1000, Math.floor(options.leaseMs / 3)), stopping.signal);
      if (stopping.signal.aborted) return;
      try {
        if (!(await options.heartbeat())) {
          lost.abort(new LeaseLostError(options.jobId));
          return;
        }
      } catch {
        // transient: the next beat may get through
      }
    }
  })();
  return {
    signal: lost.signal,
    lost: () => lost.signal.aborted,
    async stop() {
      stopping.abort();
      await beats;
    },
  };
}
