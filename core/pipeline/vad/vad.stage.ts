import { type VadJobPayload, type VadJobResult, vadJobPayload, vadJobResult, vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import { dialogueSettingsOf } from "../dialogues/dialogue-settings.ts";
import type { PipelineHost, PipelineStage } from "../pipeline-stage.ts";
import { createVadJobQueue, registerVadMetrics, startVadLoop } from "./vad-jobs.ts";
import { startRemoteVadWorker } from "./vad-remote-worker.ts";
import { applyVadResult, recordVadFailure, type VadDeps } from "./vad.usecases.ts";

function vadDepsOf(host: PipelineHost): VadDeps {
  return { db: host.db, clock: host.clock, settings: dialogueSettingsOf(host.config) };
}

/** Finding the speech in each stored chunk, and folding it into its register's dialogues. */
export const vadStage: PipelineStage<VadJobPayload, VadJobResult> = {
  queue: vadQueueName,
  summary: "find speech in stored chunks (vad)",
  payloadSchema: vadJobPayload,
  resultSchema: vadJobResult,
  createQueue: createVadJobQueue,
  applyResult: (host, payload, result) => applyVadResult(vadDepsOf(host), payload.chunk_id, result),
  recordFailure: (host, payload, error) => recordVadFailure(vadDepsOf(host), payload.chunk_id, error),
  registerMetrics: registerVadMetrics,
  healthKey: "vad",
  setup: (config) => ({ inProcess: config.vadInProcess }),
  describe: (config) => (config.vadInProcess ? "in process" : "workers only: chunks wait for `core worker --role vad`"),
  startInCore(host, signal) {
    if (!host.config.vadInProcess) return { loops: [], stop: async () => {} };
    return startVadLoop(
      { ...vadDepsOf(host), queue: createVadJobQueue(host.db, host.clock), storage: host.storage, logger: host.logger, metrics: registerVadMetrics(host.metrics) },
      signal,
    );
  },
  worker: {
    problems: () => [],
    start: (host, signal) => startRemoteVadWorker(host, signal),
  },
};
