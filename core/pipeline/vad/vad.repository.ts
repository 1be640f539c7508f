import { and, asc, eq, gt, lt } from "drizzle-orm";
import { maxChunkDurationSeconds } from "../../../shared/contracts/chunk-upload.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import { type AudioChunkRow, audioChunks } from "../../ingest/ingest.schema.ts";
import { type SpeechSegmentRow, speechSegments } from "./vad.schema.ts";

export interface ChunkOffsets {
  offsetStartMs: number;
  offsetEndMs: number;
}

export function createVadRepository(db: CoreDatabase) {
  async function findChunkSegments(chunkId: string): Promise<SpeechSegmentRow[]> {
    return db.select().from(speechSegments).where(eq(speechSegments.chunkId, chunkId)).orderBy(asc(speechSegments.offsetStartMs));
  }

  /** Replaces a chunk's segments; their dialogue memberships go with them (ON DELETE CASCADE). */
  async function replaceChunkSegments(chunk: AudioChunkRow, segments: readonly ChunkOffsets[]): Promise<void> {
    await db.delete(speechSegments).where(eq(speechSegments.chunkId, chunk.chunkId));
    if (segments.length === 0) return;
    await db.insert(speechSegments).values(
      segments.map((segment) => ({
        chunkId: chunk.chunkId,
        pointId: chunk.pointId,
        registerId: chunk.registerId,
        startTs: chunk.startTs + segment.offsetStartMs,
        endTs: chunk.startTs + segment.offsetEndMs,
        offsetStartMs: segment.offsetStartMs,
        offsetEndMs: segment.offsetEndMs,
      })),
    );
  }

  async function markChunkVadDone(chunkId: string, outcome: { audioMs: number; speechMs: number; at: number }): Promise<void> {
    await db
      .update(audioChunks)
      .set({ vadStatus: "done", audioMs: outcome.audioMs, speechMs: outcome.speechMs, vadAt: outcome.at, vadError: null })
      .where(eq(audioChunks.chunkId, chunkId));
  }

  async function markChunkVadFailed(chunkId: string, error: string, at: number): Promise<void> {
    await db.update(audioChunks).set({ vadStatus: "failed", vadError: error, vadAt: at }).where(eq(audioChunks.chunkId, chunkId));
  }

  /** Chunks of a register whose speech is known and that overlap [fromTs, toTs], in time order. */
  async function findAnalysedChunksBetween(stream: { pointId: string; registerId: string }, fromTs: number, toTs: number) {
    return db
      .select({ startTs: audioChunks.startTs, endTs: audioChunks.endTs })
      .from(audioChunks)
      .where(
        and(
          eq(audioChunks.pointId, stream.pointId),
          eq(audioChunks.registerId, stream.registerId),
          eq(audioChunks.vadStatus, "done"),
          lt(audioChunks.startTs, toTs),
          gt(audioChunks.startTs, fromTs - maxChunkDurationSeconds * 1000),
          gt(audioChunks.endTs, fromTs),
        ),
      )
      .orderBy(asc(audioChunks.startTs));
  }

  return { findChunkSegments, replaceChunkSegments, markChunkVadDone, markChunkVadFailed, findAnalysedChunksBetween };
}

export type VadRepository = ReturnType<typeof createVadRepository>;
