import type { ConfigOf } from "../../shared/config/config-spec.ts";
import { ConfigError } from "../../shared/config/config-loader.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { BackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "../config.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import type { ChunkStorage } from "../ingest/chunk-storage.ts";
import { registerAnalysisMetrics, startAnalysisSlots } from "./analysis/analysis-jobs.ts";
import { type AnalysisSettings, AnalysisSettingsError, loadAnalysisSettings } from "./analysis/analysis-settings.ts";
import { createUpsellAnalyser, llmSettingsOf } from "./analysis/upsell-analyser.ts";
import { registerAsrMetrics, startAsrSlots } from "./asr/asr-jobs.ts";
import { startTranscriptionScheduler } from "./asr/transcription-scheduler.ts";
import { createTranscriptionProvider, transcriptionSettingsOf } from "./asr/transcription-provider.ts";
import { createStoredChunkSource } from "./chunk-audio-source.ts";
import { pipelineSetupOf } from "./pipeline-setup.ts";
import { createAnalysisJobQueue, createAsrJobQueue } from "./pipeline-queues.ts";

/** The analysis settings file, read once at start; a bad file stops the node like a bad setting. */
export function loadAnalysisSettingsOrRefuse(path: string | undefined): AnalysisSettings {
  try {
    return loadAnalysisSettings(path);
  } catch (error) {
    if (error instanceof AnalysisSettingsError) throw new ConfigError([`ANALYSIS_SETTINGS_FILE (analysis_settings_file): ${error.message}`]);
    throw error;
  }
}

export interface PipelineWorkerDeps {
  config: ConfigOf<CoreConfigSpec>;
  db: CoreDatabase;
  clock: Clock;
  logger: Logger;
  metrics: MetricsRegistry;
  storage: ChunkStorage;
  analysisSettings: AnalysisSettings;
  /** Pause between claims when nothing is due. */
  idleIntervalMs?: number;
}

/**
 * Inside `serve`: the scheduler that queues closed dialogues for transcription, the core's own
 * transcription workers (when a server is configured and ASR_IN_PROCESS holds) and its analysis
 * workers (an LLM when configured, else the offline rules).
 */
export function startPipelineWorkers(deps: PipelineWorkerDeps, signal: AbortSignal): { loops: BackgroundLoop[]; stop(): Promise<void> } {
  const { config } = deps;
  const leaseMs = config.workerLeaseSeconds * 1000;
  const base = { db: deps.db, clock: deps.clock, logger: deps.logger };
  const scheduler = startTranscriptionScheduler(base, signal);
  const loops: BackgroundLoop[] = [scheduler];
  const stoppers: Array<() => Promise<void>> = [() => scheduler.stopped];

  const transcription = transcriptionSettingsOf(config);
  if (transcription && config.asrInProcess) {
    const asr = startAsrSlots(
      {
        ...base,
        queue: createAsrJobQueue(deps.db, deps.clock),
        source: createStoredChunkSource(deps.db, deps.storage),
        provider: createTranscriptionProvider(transcription),
        metrics: registerAsrMetrics(deps.metrics),
        leaseMs,
      },
      { slots: transcription.concurrency, intervalMs: deps.idleIntervalMs },
      signal,
    );
    loops.push(...asr.loops);
    stoppers.push(asr.stop);
  }
  if (config.analysisInProcess) {
    const llm = llmSettingsOf(config);
    const analysis = startAnalysisSlots(
      {
        ...base,
        settings: deps.analysisSettings,
        queue: createAnalysisJobQueue(deps.db, deps.clock),
        analyser: createUpsellAnalyser(llm),
        metrics: registerAnalysisMetrics(deps.metrics),
        leaseMs,
      },
      { slots: llm?.concurrency ?? 1, intervalMs: deps.idleIntervalMs },
      signal,
    );
    loops.push(...analysis.loops);
    stoppers.push(analysis.stop);
  }
  const setup = pipelineSetupOf(config);
  deps.logger.info("transcription and analysis", {
    transcription: setup.transcription.server ? `${setup.transcription.model} at ${setup.transcription.server}${setup.transcription.inProcess ? "" : " (workers only)"}` : "no server configured: closed dialogues wait for `core worker --role asr`",
    audioSentTo: setup.transcription.audioSentTo,
    analysis: setup.analysis.method === "llm" ? `${setup.analysis.model} at ${setup.analysis.server}` : "offline rules (no LLM configured)",
  });
  return {
    loops,
    async stop() {
      await Promise.all(stoppers.map((stop) => stop()));
    },
  };
}
