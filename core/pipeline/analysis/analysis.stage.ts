import { type AnalysisJobPayload, type AnalysisJobResult, analysisJobPayload, analysisJobResult, analysisQueueName } from "../../../shared/contracts/analysis-jobs.ts";
import type { PipelineHost, PipelineStage } from "../pipeline-stage.ts";
import { registerAnalysisMetrics, startAnalysisSlots } from "./analysis-jobs.ts";
import { createAnalysisJobQueue } from "./analysis-queue.ts";
import { startRemoteAnalysisWorker } from "./analysis-remote-worker.ts";
import { createAnalysisRepository } from "./analysis.repository.ts";
import { type AnalysisDeps, applyAnalysis, recordAnalysisFailure } from "./analysis.usecases.ts";
import { createUpsellAnalyser, llmSettingsOf } from "./upsell-analyser.ts";

function analysisDepsOf(host: PipelineHost): AnalysisDeps {
  return { db: host.db, clock: host.clock, logger: host.logger, settings: host.analysisSettings };
}

/** Analysing each transcript for upsell attempts (an LLM when configured, else the offline rules); quotes are checked against the core's transcript. */
export const analysisStage: PipelineStage<AnalysisJobPayload, AnalysisJobResult> = {
  queue: analysisQueueName,
  summary: "analyse transcripts for upsell attempts (analysis)",
  payloadSchema: analysisJobPayload,
  resultSchema: analysisJobResult,
  createQueue: createAnalysisJobQueue,
  applyResult: (host, payload, result) => applyAnalysis(analysisDepsOf(host), payload, result),
  recordFailure: (host, payload, error) => recordAnalysisFailure(host, payload, error),
  registerMetrics: registerAnalysisMetrics,
  healthKey: "analysis",
  setup(config) {
    const llm = llmSettingsOf(config);
    return { method: llm ? "llm" : "rules", server: llm?.endpoint.baseUrl ?? null, model: llm?.model ?? null, inProcess: config.analysisInProcess };
  },
  explain(config) {
    const setup = analysisStage.setup(config);
    return [`transcripts are analysed by: ${setup.method === "llm" ? `the LLM at ${setup.server} (${setup.model})` : "the offline rules on this server"}`];
  },
  describe(config) {
    const setup = analysisStage.setup(config);
    return setup.method === "llm" ? `${setup.model} at ${setup.server}` : "offline rules (no LLM configured)";
  },
  startInCore(host, signal, options) {
    if (!host.config.analysisInProcess) return { loops: [], stop: async () => {} };
    const llm = llmSettingsOf(host.config);
    return startAnalysisSlots(
      {
        ...analysisDepsOf(host),
        queue: createAnalysisJobQueue(host.db, host.clock),
        analyser: createUpsellAnalyser(llm),
        metrics: registerAnalysisMetrics(host.metrics),
        leaseMs: host.config.workerLeaseSeconds * 1000,
      },
      { slots: llm?.concurrency ?? 1, intervalMs: options.idleIntervalMs },
      signal,
    );
  },
  worker: {
    problems: () => [],
    async start(host, signal) {
      const llm = llmSettingsOf(host.config);
      return startRemoteAnalysisWorker({ ...host, analyser: createUpsellAnalyser(llm), slots: llm?.concurrency ?? 1, leaseSeconds: host.config.workerLeaseSeconds }, signal);
    },
  },
  operator: {
    dialogueOf: (payload) => payload.dialogue_id,
    requeue: (db, payload) => createAnalysisRepository(db).setAnalysisStatus(payload.dialogue_id, "QUEUED", { revision: payload.revision }),
  },
};
