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
