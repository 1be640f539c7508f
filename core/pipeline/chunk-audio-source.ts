import { sha256Hex } from "../../shared/runtime/hashing.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import type { ChunkStorage } from "../ingest/chunk-storage.ts";
import { createIngestRepository } from "../ingest/ingest.repository.ts";
import { InternalApiError, type InternalApiClient } from "../internal/internal-api-client.ts";

/** Where a worker gets a chunk's OGG/Opus bytes: the core's storage, or the internal API. */
export interface ChunkAudioSource {
  read(chunkId: string): Promise<Uint8Array>;
}

/** The chunk a job needs is gone: retrying cannot help. */
export class ChunkAudioMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChunkAudioMissingError";
  }
}

/** Chunks as the core stores them. */
export function createStoredChunkSource(db: CoreDatabase, storage: ChunkStorage): ChunkAudioSource {
  return {
    async read(chunkId) {
      const chunk = await createIngestRepository(db).findChunk(chunkId);
      if (!chunk) throw new ChunkAudioMissingError(`chunk ${chunkId} is no longer stored`);
      const bytes = await storage.read(chunk.storedPath);
      if (!bytes) throw new ChunkAudioMissingError(`the audio of chunk ${chunkId} is gone (${chunk.storedPath})`);
      return bytes;
    },
  };
}

/** Chunks fetched from the core's internal API, checked against the digest it sends. */
export function createRemoteChunkSource(client: InternalApiClient): ChunkAudioSource {
  return {
    async read(chunkId) {
      let audio: { bytes: Uint8Array; sha256: string | null };
      try {
        audio = await client.fetchChunkAudio(chunkId);
      } catch (error) {
        if (error instanceof InternalApiError && (error.status === 404 || error.status === 410)) throw new ChunkAudioMissingError(error.message);
        throw error;
      }
      if (audio.sha256 && sha256Hex(audio.bytes) !== audio.sha256) {
        throw new Error(`the audio of chunk ${chunkId} arrived damaged (SHA-256 mismatch)`);
      }
      return audio.bytes;
    },
  };
}
