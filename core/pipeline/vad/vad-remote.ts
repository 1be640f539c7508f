import { type VadJobResult, vadJobPayload, vadJobResult, vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import type { RemoteJobHandler } from "../../internal/remote-jobs.ts";
import { createVadJobQueue } from "./vad-jobs.ts";
import { applyVadResult, recordVadFailure, type VadDeps } from "./vad.usecases.ts";

/** VAD results reported by `core worker` processes go through the same use case as local ones. */
export function createVadRemoteHandler(deps: VadDeps): RemoteJobHandler<VadJobResult> {
  return {
    queue: vadQueueName,
    jobs: createVadJobQueue(deps.db, deps.clock),
    resultSchema: vadJobResult,
    async applyResult(job, result) {
      await applyVadResult(deps, vadJobPayload.parse(job.payload).chunk_id, result);
    },
    async onDead(job, error) {
      const payload = vadJobPayload.safeParse(job.payload);
      if (payload.success) await recordVadFailure(deps, payload.data.chunk_id, error);
    },
  };
}
