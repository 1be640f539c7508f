import { type VadJobPayload, vadJobPayload, vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import type { MetricsRegistry } from "../../../shared/http/metrics.ts";
import { type ClaimedJob, createJobQueue, type JobQueue } from "../../../shared/jobs/job-queue.ts";
import type { Logger } from "../../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../../shared/runtime/background-loop.ts";
import type { Clock } from "../../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import type { ChunkStorage } from "../../ingest/chunk-storage.ts";
import { findChunk } from "../../ingest/ingest.repository.ts";
import type { AudioChunkRow } from "../../ingest/ingest.schema.ts";
import { createSpeechAnalyzer, type SpeechAnalyzer, UndecodableAudioError } from "./speech-analyzer.ts";
import { applyVadResult, recordVadFailure, type VadDeps } from "./vad.usecases.ts";

/** VAD takes well under a second per chunk; a lease of minutes only matters when a worker dies. */
export function createVadJobQueue(db: CoreDatabase, clock: Clock): JobQueue {
  return createJobQueue(db, { clock, backoff: { initialMs: 5_000, maxMs: 600_000 }, leaseMs: 300_000, maxAttempts: 5 });
}

export function vadPayloadOf(chunk: Pick<AudioChunkRow, "chunkId" | "startTs" | "endTs" | "channels">): VadJobPayload {
  return { chunk_id: chunk.chunkId, start_ts: chunk.startTs, end_ts: chunk.endTs, channels: chunk.channels };
}

/** One VAD job per chunk: enqueueing a chunk twice returns the first job. */
export function enqueueVadJob(queue: JobQueue, chunk: Pick<AudioChunkRow, "chunkId" | "startTs" | "endTs" | "channels">) {
  return queue.enqueue(vadQueueName, vadPayloadOf(chunk), { dedupeKey: chunk.chunkId });
}

export interface VadMetrics {
  chunks: ReturnType<MetricsRegistry["counter"]>;
  audioSeconds: ReturnType<MetricsRegistry["counter"]>;
  busySeconds: ReturnType<MetricsRegistry["counter"]>;
}

export function registerVadMetrics(metrics: MetricsRegistry): VadMetrics {
  return {
    chunks: metrics.counter("vad_chunks_total", "Chunks searched for speech in this process, by outcome."),
    audioSeconds: metrics.counter("vad_audio_seconds_total", "Seconds of audio decoded and searched for speech in this process."),
    busySeconds: metrics.counter("vad_busy_seconds_total", "Seconds this process spent decoding and searching for speech."),
  };
}

export interface LocalVadDeps extends VadDeps {
  queue: JobQueue;
  storage: ChunkStorage;
  logger: Logger;
  metrics: VadMetrics;
}

/** Runs one claimed VAD job inside the core: read the stored file, find the speech, store it. */
export async function runVadJob(deps: LocalVadDeps, analyzer: SpeechAnalyzer, job: ClaimedJob): Promise<void> {
  const payload = vadJobPayload.safeParse(job.payload);
  if (!payload.success) {
    await deps.queue.fail(job, `malformed VAD job payload: ${payload.error.message}`, { permanent: true });
    return;
  }
  const chunkId = payload.data.chunk_id;
  const chunk = await findChunk(deps.db, chunkId);
  if (!chunk) {
    await deps.queue.complete(job);
    return;
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await deps.storage.read(chunk.storedPath);
  } catch (error) {
    await failVadJob(deps, job, chunkId, `cannot read ${chunk.storedPath}: ${(error as Error).message}`, false);
    return;
  }
  if (!bytes) {
    await failVadJob(deps, job, chunkId, `cannot read ${chunk.storedPath}: the file is gone`, true);
    return;
  }
  const started = performance.now();
  let result;
  try {
    result = await analyzer.analyze(bytes);
  } catch (error) {
    await failVadJob(deps, job, chunkId, (error as Error).message, error instanceof UndecodableAudioError);
    deps.metrics.chunks.inc({ outcome: "undecodable" });
    return;
  }
  deps.metrics.busySeconds.inc({}, (performance.now() - started) / 1000);
  deps.metrics.audioSeconds.inc({}, result.audio_ms / 1000);
  try {
    await applyVadResult(deps, chunkId, result);
  } catch (error) {
    await failVadJob(deps, job, chunkId, `storing the speech failed: ${(error as Error).message}`, false);
    throw error;
  }
  await deps.queue.complete(job);
  deps.metrics.chunks.inc({ outcome: "done" });
}

/** Records a failure on the job, and on the chunk once the job is dead. */
export async function failVadJob(deps: LocalVadDeps, job: ClaimedJob, chunkId: string, error: string, permanent: boolean): Promise<void> {
  const outcome = await deps.queue.fail(job, error, { permanent });
  if (outcome === "dead") {
    await recordVadFailure(deps, chunkId, error);
    deps.logger.warn("VAD gave up on a chunk", { chunkId, error });
  }
}

/** The in-process VAD worker: one loop with its own decoder and detector, kept between chunks. */
/** An idle core gives the decoder's memory back after this long without VAD work. */
const analyzerIdleReleaseMs = 5 * 60_000;

export async function startVadLoop(deps: LocalVadDeps, signal: AbortSignal): Promise<{ loop: BackgroundLoop; stop(): Promise<void> }> {
  // The decoder and detector load on the first chunk, so a core without recorders stays small.
  let analyzer: SpeechAnalyzer | null = null;
  let lastWorkAt = deps.clock.now();
  const loop = startBackgroundLoop({
    name: "vad",
    intervalMs: 500,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    tick: async () => {
      const job = await deps.queue.claim(vadQueueName);
      if (!job) {
        if (analyzer && deps.clock.now() - lastWorkAt > analyzerIdleReleaseMs) {
          analyzer.free();
          analyzer = null;
        }
        return "idle";
      }
      analyzer ??= await createSpeechAnalyzer();
      lastWorkAt = deps.clock.now();
      await runVadJob(deps, analyzer, job);
      return "busy";
    },
  });
  return {
    loop,
    async stop() {
      await loop.stopped;
      analyzer?.free();
    },
  };
}
