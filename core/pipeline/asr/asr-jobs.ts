import { asrJobPayload, asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import type { MetricsRegistry } from "../../../shared/http/metrics.ts";
import type { ClaimedJob, JobQueue } from "../../../shared/jobs/job-queue.ts";
import type { BackgroundLoop } from "../../../shared/runtime/background-loop.ts";
import type { ChunkAudioSource } from "../chunk-audio-source.ts";
import { failLocalJob, readLocalJobPayload, startLocalJobSlots } from "../job-slots.ts";
import { createOpusPcmDecoderPool, type OpusPcmDecoder } from "../vad/opus-pcm-decoder.ts";
import { applyTranscription, type AsrDeps, isCurrentRevision, recordTranscriptionFailure } from "./asr.usecases.ts";
import { transcribeDialogue, transcriptionFailureOf } from "./dialogue-transcriber.ts";
import type { TranscriptionProvider } from "./transcription-provider.ts";

export function registerAsrMetrics(metrics: MetricsRegistry) {
  return {
    dialogues: metrics.counter("asr_dialogues_total", "Dialogue transcription jobs run in this process, by outcome."),
    audioSeconds: metrics.counter("asr_audio_seconds_total", "Seconds of dialogue audio sent for transcription from this process."),
    providerSeconds: metrics.counter("asr_provider_seconds_total", "Seconds this process waited for its transcription server."),
    assemblySeconds: metrics.counter("asr_assembly_seconds_total", "Seconds this process spent reading, decoding and assembling dialogue audio."),
  };
}

export type AsrMetrics = ReturnType<typeof registerAsrMetrics>;

export interface LocalAsrDeps extends AsrDeps {
  queue: JobQueue;
  source: ChunkAudioSource;
  provider: TranscriptionProvider;
  metrics: AsrMetrics;
  leaseMs: number;
}

/** Runs one claimed transcription job inside the core, from the stored chunks to the stored transcript. */
export async function runAsrJob(deps: LocalAsrDeps, decoder: OpusPcmDecoder, job: ClaimedJob, lease: AbortSignal): Promise<void> {
  const payload = await readLocalJobPayload(deps.queue, job, asrJobPayload, "transcription");
  if (!payload) return;
  if (!(await isCurrentRevision(deps.db, payload))) {
    await deps.queue.complete(job);
    deps.metrics.dialogues.inc({ outcome: "stale" });
    return;
  }
  let transcription;
  try {
    transcription = await transcribeDialogue({ source: deps.source, decoder, provider: deps.provider, worker: "core" }, payload, lease);
  } catch (error) {
    if (lease.aborted) return;
    await failLocalJob(deps.queue, job, transcriptionFailureOf(error), {
      counted: (outcome) => deps.metrics.dialogues.inc({ outcome }),
      dead: (message) => recordTranscriptionFailure(deps, payload, message),
    });
    return;
  }
  deps.metrics.assemblySeconds.inc({}, transcription.assembleMs / 1000);
  deps.metrics.providerSeconds.inc({}, transcription.result.provider_ms / 1000);
  deps.metrics.audioSeconds.inc({}, transcription.result.audio_ms / 1000);
  // Store only while the lease is still ours: a job taken over meanwhile is the other worker's to store.
  if (!(await deps.queue.heartbeat(job, deps.leaseMs))) return;
  const outcome = await applyTranscription(deps, payload, transcription.result);
  await deps.queue.complete(job);
  deps.metrics.dialogues.inc({ outcome });
}

/** The core's own transcription workers: one per allowed concurrent request, each with its own decoder. */
export function startAsrSlots(deps: LocalAsrDeps, options: { slots: number; intervalMs?: number }, signal: AbortSignal): { loops: BackgroundLoop[]; stop(): Promise<void> } {
  const decoders = createOpusPcmDecoderPool();
  const slots = startLocalJobSlots({
    name: "asr",
    queueName: asrQueueName,
    queue: deps.queue,
    slots: options.slots,
    leaseMs: deps.leaseMs,
    intervalMs: options.intervalMs ?? 1000,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    run: (job, lease) => decoders.use((decoder) => runAsrJob(deps, decoder, job, lease)),
  });
  return {
    loops: slots.loops,
    async stop() {
      await slots.stopped;
      decoders.free();
    },
  };
}
