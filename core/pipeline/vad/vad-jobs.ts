import { type VadJobPayload, vadJobPayload, vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import type { MetricsRegistry } from "../../../shared/http/metrics.ts";
import { type ClaimedJob, createJobQueue, type JobQueue } from "../../../shared/jobs/job-queue.ts";
import type { Logger } from "../../../shared/log/logger.ts";
import type { BackgroundLoop } from "../../../shared/runtime/background-loop.ts";
import type { Clock } from "../../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import type { ChunkStorage } from "../../ingest/chunk-storage.ts";
import { createIngestRepository } from "../../ingest/ingest.repository.ts";
import type { AudioChunkRow } from "../../ingest/ingest.schema.ts";
import { failLocalJob, type JobFailure, readLocalJobPayload, startLocalJobSlots } from "../job-slots.ts";
import { audioBoundOf, createSpeechAnalyzer, type SpeechAnalyzer, UndecodableAudioError } from "./speech-analyzer.ts";
import { applyVadResult, recordVadFailure, type VadDeps } from "./vad.usecases.ts";

/** VAD takes well under a second per chunk; a lease of minutes only matters when a worker dies. */
const vadLeaseMs = 300_000;

export function createVadJobQueue(db: CoreDatabase, clock: Clock): JobQueue {
  return createJobQueue(db, { clock, backoff: { initialMs: 5_000, maxMs: 600_000 }, leaseMs: vadLeaseMs, maxAttempts: 5 });
}

export function vadPayloadOf(chunk: Pick<AudioChunkRow, "chunkId" | "startTs" | "endTs" | "channels">): VadJobPayload {
  return { chunk_id: chunk.chunkId, start_ts: chunk.startTs, end_ts: chunk.endTs, channels: chunk.channels };
}

/** One VAD job per chunk: enqueueing a chunk twice returns the first job. */
export function enqueueVadJob(queue: JobQueue, chunk: Pick<AudioChunkRow, "chunkId" | "startTs" | "endTs" | "channels">) {
  return queue.enqueue(vadQueueName, vadPayloadOf(chunk), { dedupeKey: chunk.chunkId });
}

export function registerVadMetrics(metrics: MetricsRegistry) {
  return {
    chunks: metrics.counter("vad_chunks_total", "Chunks searched for speech in this process, by outcome."),
    audioSeconds: metrics.counter("vad_audio_seconds_total", "Seconds of audio decoded and searched for speech in this process."),
    busySeconds: metrics.counter("vad_busy_seconds_total", "Seconds this process spent decoding and searching for speech."),
  };
}

export type VadMetrics = ReturnType<typeof registerVadMetrics>;

export interface LocalVadDeps extends VadDeps {
  queue: JobQueue;
  storage: ChunkStorage;
  logger: Logger;
  metrics: VadMetrics;
}

/** Runs one claimed VAD job inside the core: read the stored file, find the speech, store it. */
export async function runVadJob(deps: LocalVadDeps, analyzer: SpeechAnalyzer, job: ClaimedJob): Promise<void> {
  const payload = await readLocalJobPayload(deps.queue, job, vadJobPayload, "VAD");
  if (!payload) return;
  const chunkId = payload.chunk_id;
  const chunk = await createIngestRepository(deps.db).findChunk(chunkId);
  if (!chunk) {
    await deps.queue.complete(job);
    return;
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await deps.storage.read(chunk.storedPath);
  } catch (error) {
    await failVadJob(deps, job, chunkId, { message: `cannot read ${chunk.storedPath}: ${(error as Error).message}`, permanent: false });
    return;
  }
  if (!bytes) {
    await failVadJob(deps, job, chunkId, { message: `cannot read ${chunk.storedPath}: the file is gone`, permanent: true });
    return;
  }
  const started = performance.now();
  let result;
  try {
    result = await analyzer.analyze(bytes, audioBoundOf({ start_ts: chunk.startTs, end_ts: chunk.endTs }));
  } catch (error) {
    await failVadJob(deps, job, chunkId, { message: (error as Error).message, permanent: error instanceof UndecodableAudioError }, () => deps.metrics.chunks.inc({ outcome: "undecodable" }));
    return;
  }
  deps.metrics.busySeconds.inc({}, (performance.now() - started) / 1000);
  deps.metrics.audioSeconds.inc({}, result.audio_ms / 1000);
  try {
    await applyVadResult(deps, chunkId, result);
  } catch (error) {
    await failVadJob(deps, job, chunkId, { message: `storing the speech failed: ${(error as Error).message}`, permanent: false });
    throw error;
  }
  await deps.queue.complete(job);
  deps.metrics.chunks.inc({ outcome: "done" });
}

/** Records a failure on the job, and on the chunk once the job is dead. */
function failVadJob(deps: LocalVadDeps, job: ClaimedJob, chunkId: string, failure: JobFailure, counted?: () => void): Promise<void> {
  return failLocalJob(deps.queue, job, failure, {
    counted,
    async dead(message) {
      await recordVadFailure(deps, chunkId, message);
      deps.logger.warn("VAD gave up on a chunk", { chunkId, error: message });
    },
  });
}

/** An idle core gives the decoder's memory back after this long without VAD work. */
const analyzerIdleReleaseMs = 5 * 60_000;

/** The in-process VAD worker: one slot whose decoder and detector load with the first chunk and are kept between chunks. */
export function startVadLoop(deps: LocalVadDeps, signal: AbortSignal): { loops: BackgroundLoop[]; stop(): Promise<void> } {
  let analyzer: SpeechAnalyzer | null = null;
  let lastWorkAt = deps.clock.now();
  const slots = startLocalJobSlots({
    name: "vad",
    queueName: vadQueueName,
    queue: deps.queue,
    slots: 1,
    leaseMs: vadLeaseMs,
    intervalMs: 500,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    async run(job) {
      analyzer ??= await createSpeechAnalyzer();
      lastWorkAt = deps.clock.now();
      await runVadJob(deps, analyzer, job);
    },
    onIdle() {
      if (analyzer && deps.clock.now() - lastWorkAt > analyzerIdleReleaseMs) {
        analyzer.free();
        analyzer = null;
      }
    },
  });
  return {
    loops: slots.loops,
    async stop() {
      await slots.stopped;
      analyzer?.free();
    },
  };
}
