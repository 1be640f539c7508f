import { type AsrJobResult, asrJobPayload, asrJobResult, asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import type { RemoteJobHandler } from "../../internal/remote-jobs.ts";
import { createAsrJobQueue } from "../pipeline-queues.ts";
import { applyTranscription, type AsrDeps, recordTranscriptionFailure } from "./asr.usecases.ts";

/** Transcripts posted by `core worker --role asr` go through the same use case as the core's own. */
export function createAsrRemoteHandler(deps: AsrDeps): RemoteJobHandler<AsrJobResult> {
  return {
    queue: asrQueueName,
    jobs: createAsrJobQueue(deps.db, deps.clock),
    resultSchema: asrJobResult,
    async applyResult(job, result) {
      await applyTranscription(deps, asrJobPayload.parse(job.payload), result);
    },
    async onDead(job, error) {
      const payload = asrJobPayload.safeParse(job.payload);
      if (payload.success) await recordTranscriptionFailure(deps, payload.data, error);
    },
  };
}
