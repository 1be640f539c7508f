import { notFound } from "../../shared/http/app-error.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { createDialoguesRepository } from "../pipeline/dialogues/dialogues.repository.ts";
import { createVadRepository } from "../pipeline/vad/vad.repository.ts";
import { createIngestRepository } from "./ingest.repository.ts";

/** A stored chunk as an operator sees it: metadata, VAD state, speech and the dialogues it feeds. */
export async function getChunkDetail(deps: { db: CoreDatabase }, chunkId: string) {
  const chunk = await createIngestRepository(deps.db).findChunk(chunkId);
  if (!chunk) throw notFound("ingest.chunk_not_found", `no chunk ${chunkId}`);
  const segments = await createVadRepository(deps.db).findChunkSegments(chunkId);
  const dialogueOf = await createDialoguesRepository(deps.db).findDialogueIdsOfSegments(segments.map((segment) => segment.id));
  return {
    chunk_id: chunk.chunkId,
    device_id: chunk.deviceId,
    point_id: chunk.pointId,
    register_id: chunk.registerId,
    start_ts: isoTime(chunk.startTs),
    end_ts: isoTime(chunk.endTs),
    codec: chunk.codec,
    sample_rate: chunk.sampleRate,
    channels: chunk.channels,
    byte_size: chunk.byteSize,
    sha256: chunk.sha256,
    stored_path: chunk.storedPath,
    received_at: isoTime(chunk.receivedAt),
    vad: { status: chunk.vadStatus, at: isoTime(chunk.vadAt), audio_ms: chunk.audioMs, speech_ms: chunk.speechMs, error: chunk.vadError },
    speech_segments: segments.map((segment) => ({
      start_ts: isoTime(segment.startTs),
      end_ts: isoTime(segment.endTs),
      offset_start_ms: segment.offsetStartMs,
      offset_end_ms: segment.offsetEndMs,
      dialogue_id: dialogueOf.get(segment.id) ?? null,
    })),
  };
}
