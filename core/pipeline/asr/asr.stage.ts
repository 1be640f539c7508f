import { type AsrJobPayload, type AsrJobResult, asrJobPayload, asrJobResult, asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import type { BackgroundLoop } from "../../../shared/runtime/background-loop.ts";
import { createStoredChunkSource } from "../chunk-audio-source.ts";
import { openAiCloudBaseUrl } from "../openai-client.ts";
import type { PipelineStage } from "../pipeline-stage.ts";
import { registerAsrMetrics, startAsrSlots } from "./asr-jobs.ts";
import { createAsrJobQueue } from "./asr-queue.ts";
import { startRemoteAsrWorker } from "./asr-remote-worker.ts";
import { createAsrRepository } from "./asr.repository.ts";
import { applyTranscription, recordTranscriptionFailure } from "./asr.usecases.ts";
import { startTranscriptionScheduler } from "./transcription-scheduler.ts";
import { createTranscriptionProvider, transcriptionSettingsOf } from "./transcription-provider.ts";

/** Where shop audio goes, in words (or that it stays), for /health and check-config. */
function audioDestinationOf(server: string | null): string {
  if (!server) return "nowhere: no transcription server is configured (TRANSCRIPTION_BASE_URL), so shop audio stays on this server";
  const cloud = new URL(server).hostname === new URL(openAiCloudBaseUrl).hostname ? " (OpenAI's cloud)" : "";
  return `${server}${cloud}, by this core and by \`core worker --role asr\` processes`;
}

/** Transcribing each closed dialogue's speech, then queueing its analysis. */
export const asrStage: PipelineStage<AsrJobPayload, AsrJobResult> = {
  queue: asrQueueName,
  summary: "transcribe closed dialogues (asr)",
  payloadSchema: asrJobPayload,
  resultSchema: asrJobResult,
  createQueue: createAsrJobQueue,
  applyResult: (host, payload, result) => applyTranscription(host, payload, result),
  recordFailure: (host, payload, error) => recordTranscriptionFailure(host, payload, error),
  registerMetrics: registerAsrMetrics,
  healthKey: "transcription",
  setup(config) {
    const transcription = transcriptionSettingsOf(config);
    const server = transcription?.endpoint.baseUrl ?? null;
    return { server, model: config.transcriptionModel, inProcess: config.asrInProcess && transcription !== null, audioSentTo: audioDestinationOf(server) };
  },
  explain: (config) => [`shop audio for transcription is sent to: ${asrStage.setup(config).audioSentTo}`],
  describe(config) {
    const setup = asrStage.setup(config);
    return setup.server ? `${setup.model} at ${setup.server}${setup.inProcess ? "" : " (workers only)"}` : "no server configured: closed dialogues wait for `core worker --role asr`";
  },
  /** The scheduler queues closed dialogues whoever transcribes them; the core's own workers run when a server is configured and ASR_IN_PROCESS holds. */
  startInCore(host, signal, options) {
    const scheduler = startTranscriptionScheduler(host, signal);
    const loops: BackgroundLoop[] = [scheduler];
    const stoppers: Array<() => Promise<void>> = [() => scheduler.stopped];
    const transcription = transcriptionSettingsOf(host.config);
    if (transcription && host.config.asrInProcess) {
      const asr = startAsrSlots(
        {
          db: host.db,
          clock: host.clock,
          logger: host.logger,
          queue: createAsrJobQueue(host.db, host.clock),
          source: createStoredChunkSource(host.db, host.storage),
          provider: createTranscriptionProvider(transcription),
          metrics: registerAsrMetrics(host.metrics),
          leaseMs: host.config.workerLeaseSeconds * 1000,
        },
        { slots: transcription.concurrency, intervalMs: options.idleIntervalMs },
        signal,
      );
      loops.push(...asr.loops);
      stoppers.push(asr.stop);
    }
    return {
      loops,
      async stop() {
        await Promise.all(stoppers.map((stop) => stop()));
      },
    };
  },
  worker: {
    problems: (config) =>
      transcriptionSettingsOf(config) ? [] : ["TRANSCRIPTION_BASE_URL (transcription_base_url): missing; `core worker --role asr` needs a transcription server (https://api.openai.com/v1 for OpenAI's cloud)"],
    start(host, signal) {
      const transcription = transcriptionSettingsOf(host.config)!;
      return startRemoteAsrWorker(
        { ...host, provider: createTranscriptionProvider(transcription), slots: transcription.concurrency, leaseSeconds: host.config.workerLeaseSeconds },
        signal,
      );
    },
  },
  operator: {
    dialogueOf: (payload) => payload.dialogue_id,
    requeue: async (db, payload) => {
      await createAsrRepository(db).setAsrStatus(payload.dialogue_id, payload.revision, "QUEUED");
    },
  },
};
