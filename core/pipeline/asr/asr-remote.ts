import { type AsrJobResult, asrJobPayload, asrJobResult, asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import { type RemoteJobHandler, remoteJobHandlerOf } from "../../internal/remote-jobs.ts";
import { createAsrJobQueue } from "../pipeline-queues.ts";
import { applyTranscription, type AsrDeps, recordTranscriptionFailure } from "./asr.usecases.ts";

/** Transcripts posted by `core worker --role asr` go through the same use case as the core's own. */
export function createAsrRemoteHandler(deps: AsrDeps): RemoteJobHandler<AsrJobResult> {
  return remoteJobHandlerOf({
    queue: asrQueueName,
    jobs: createAsrJobQueue(deps.db, deps.clock),
    payloadSchema: asrJobPayload,
    resultSchema: asrJobResult,
    apply: (payload, result) => applyTranscription(deps, payload, result),
    recordFailure: (payload, error) => recordTranscriptionFailure(deps, payload, error),
  });
}
