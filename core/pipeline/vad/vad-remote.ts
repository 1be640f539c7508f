import { type VadJobResult, vadJobPayload, vadJobResult, vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import { type RemoteJobHandler, remoteJobHandlerOf } from "../../internal/remote-jobs.ts";
import { createVadJobQueue } from "./vad-jobs.ts";
import { applyVadResult, recordVadFailure, type VadDeps } from "./vad.usecases.ts";

/** VAD results reported by `core worker` processes go through the same use case as local ones. */
export function createVadRemoteHandler(deps: VadDeps): RemoteJobHandler<VadJobResult> {
  return remoteJobHandlerOf({
    queue: vadQueueName,
    jobs: createVadJobQueue(deps.db, deps.clock),
    payloadSchema: vadJobPayload,
    resultSchema: vadJobResult,
    apply: (payload, result) => applyVadResult(deps, payload.chunk_id, result),
    recordFailure: (payload, error) => recordVadFailure(deps, payload.chunk_id, error),
  });
}
