import type { z } from "zod";
import type { JobQueue } from "../../shared/jobs/job-queue.ts";

/**
 * A queue whose jobs `core worker` processes on other hosts may run: how its results are
 * validated and applied, and what happens when a job gives up. Transcription and analysis
 * register theirs beside VAD's.
 */
export interface RemoteJobHandler<Result = unknown> {
  queue: string;
  /** The queue's job options (backoff, attempts) live in this instance. */
  jobs: JobQueue;
  resultSchema: z.ZodType<Result>;
  applyResult(job: { id: number; payload: unknown }, result: Result): Promise<void>;
  onDead?(job: { id: number; payload: unknown }, error: string): Promise<void>;
}

export type RemoteJobHandlers = ReadonlyMap<string, RemoteJobHandler<any>>;

export function remoteJobHandlers(...handlers: Array<RemoteJobHandler<any>>): RemoteJobHandlers {
  return new Map(handlers.map((handler) => [handler.queue, handler]));
}

/**
 * The usual handler: the job's payload parsed by its queue's schema, the result applied by the
 * same use case the core's own worker calls, and a dead job recorded where its subject shows it.
 */
export function remoteJobHandlerOf<Payload, Result>(options: {
  queue: string;
  jobs: JobQueue;
  payloadSchema: z.ZodType<Payload>;
  resultSchema: z.ZodType<Result>;
  apply(payload: Payload, result: Result): Promise<unknown>;
  recordFailure(payload: Payload, error: string): Promise<void>;
}): RemoteJobHandler<Result> {
  return {
    queue: options.queue,
    jobs: options.jobs,
    resultSchema: options.resultSchema,
    async applyResult(job, result) {
      await options.apply(options.payloadSchema.parse(job.payload), result);
    },
    async onDead(job, error) {
      const payload = options.payloadSchema.safeParse(job.payload);
      if (payload.success) await options.recordFailure(payload.data, error);
    },
  };
}
