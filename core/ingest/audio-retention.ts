import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { AppError } from "../../shared/http/app-error.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { chunkUploadErrorCodes } from "../../shared/contracts/chunk-upload.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { createAudioRetentionRepository, type StoredAudioTotals } from "./audio-retention.repository.ts";
import type { ChunkStorage } from "./chunk-storage.ts";

const deleteBatch = 500;
const dayMs = 86_400_000;

export interface AudioStorageSettings {
  audioRetentionDays: number;
  audioMinFreeMb: number;
}

export interface AudioStorageStatus {
  storedChunks: number;
  storedBytes: number;
  oldestChunkStartTs: number | null;
  /** Free space on the audio storage's filesystem; null when it cannot be read. */
  freeBytes: number | null;
  reserveBytes: number;
  retentionDays: number;
  deletedChunksTotal: number;
}

export interface AudioStorage {
  /** Throws 507 `ingest.storage_full` when storing `bytes` more would eat into the reserve. */
  assertRoomFor(bytes: number): void;
  /** Deletes one batch of audio past retention; returns how many chunks lost their file. */
  deleteExpiredAudio(): Promise<number>;
  status(): Promise<AudioStorageStatus>;
}

/**
 * The core's chunk audio: deleted once older than AUDIO_RETENTION_DAYS and no longer needed (the
 * row, speech segments, transcripts and analyses stay), and never stored into the last
 * AUDIO_MIN_FREE_MB of the disk, so a full disk turns into "retry later" for the recorders.
 */
export function createAudioStorage(deps: { db: CoreDatabase; clock: Clock; storage: ChunkStorage; settings: AudioStorageSettings; metrics?: MetricsRegistry }): AudioStorage {
  const reserveBytes = deps.settings.audioMinFreeMb * 1024 * 1024;
  const chunks = createAudioRetentionRepository(deps.db);
  let totals: StoredAudioTotals | null = null;
  let deletedChunksTotal = 0;
  // The storage directory appears with the first chunk: until then its nearest existing parent counts.
  const freeBytes = (): number | null => {
    for (let path = resolve(deps.storage.root); ; path = dirname(path)) {
      try {
        const stats = statfsSync(path);
        return stats.bavail * stats.bsize;
      } catch {
        if (path === dirname(path)) return null;
      }
    }
  };
  const refresh = async () => {
    totals = await chunks.storedAudioTotals();
    return totals;
  };

  if (deps.metrics) {
    deps.metrics.gauge("audio_storage_free_bytes", "Free bytes on the filesystem of AUDIO_STORAGE_PATH.", () => freeBytes() ?? 0);
    deps.metrics.gauge("audio_storage_stored_bytes", "Bytes of chunk audio kept (as of the last retention pass).", () => totals?.bytes ?? 0);
    deps.metrics.gauge("audio_storage_stored_chunks", "Chunks whose audio is kept (as of the last retention pass).", () => totals?.chunks ?? 0);
    deps.metrics.gauge("audio_storage_oldest_chunk_timestamp_seconds", "Start of the oldest chunk whose audio is kept.", () => (totals?.oldestStartTs ?? 0) / 1000);
    deps.metrics.counter("audio_retention_deleted_chunks_total", "Chunk files deleted by AUDIO_RETENTION_DAYS.", () => deletedChunksTotal);
  }

  return {
    assertRoomFor(bytes) {
      const free = freeBytes();
      if (free === null || free - bytes >= reserveBytes) return;
      throw new AppError(
        chunkUploadErrorCodes.storageFull,
        507,
        `the core's audio storage has ${Math.floor(free / 1048576)} MB free, at or below its ${deps.settings.audioMinFreeMb} MB reserve (AUDIO_MIN_FREE_MB): keep the chunk and retry later`,
      );
    },
    async deleteExpiredAudio() {
      const cutoff = deps.clock.now() - deps.settings.audioRetentionDays * dayMs;
      const expired = await chunks.findChunksPastRetention(cutoff, deleteBatch);
      // Row first, then file: a crash in between leaves a file no row claims, never a row whose file is gone unannounced.
      await chunks.markAudioDeleted(expired.map((chunk) => chunk.chunkId), deps.clock.now());
      for (const chunk of expired) await deps.storage.remove(chunk.storedPath);
      deletedChunksTotal += expired.length;
      await refresh();
      return expired.length;
    },
    async status() {
      const current = totals ?? (await refresh());
      return {
        storedChunks: current.chunks,
        storedBytes: current.bytes,
        oldestChunkStartTs: current.oldestStartTs,
        freeBytes: freeBytes(),
        reserveBytes,
        retentionDays: deps.settings.audioRetentionDays,
        deletedChunksTotal,
      };
    },
  };
}

/** Every ten minutes (and batch after batch while there is a backlog): delete audio past retention. */
export function startAudioRetention(deps: { audioStorage: AudioStorage; clock: Clock; logger: Logger }, signal: AbortSignal, intervalMs = 10 * 60_000): BackgroundLoop {
  return startBackgroundLoop({
    name: "audio-retention",
    intervalMs,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    tick: async () => {
      const deleted = await deps.audioStorage.deleteExpiredAudio();
      if (deleted > 0) deps.logger.info("deleted chunk audio past retention", { chunks: deleted });
      return deleted === deleteBatch ? "busy" : "idle";
    },
  });
}
