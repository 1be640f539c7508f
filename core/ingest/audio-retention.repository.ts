import { and, asc, count, eq, inArray, isNull, lt, min, ne, notExists, or, sql, sum } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { dialogueSegments, dialogues } from "../pipeline/dialogues/dialogues.schema.ts";
import { speechSegments } from "../pipeline/vad/vad.schema.ts";
import { audioChunks } from "./ingest.schema.ts";

export interface StoredAudioTotals {
  chunks: number;
  bytes: number;
  oldestStartTs: number | null;
}

export function createAudioRetentionRepository(db: CoreDatabase) {
  /**
   * Chunks whose audio may go: recorded and received before `cutoff`, speech finding done, and no
   * speech in them that belongs to a dialogue not yet transcribed (or to none yet). Oldest first.
   */
  async function findChunksPastRetention(cutoff: number, limit: number) {
    const stillNeeded = db
      .select({ one: sql`1` })
      .from(speechSegments)
      .leftJoin(dialogueSegments, eq(dialogueSegments.speechSegmentId, speechSegments.id))
      .leftJoin(dialogues, eq(dialogues.dialogueId, dialogueSegments.dialogueId))
      .where(and(eq(speechSegments.chunkId, audioChunks.chunkId), or(isNull(dialogues.dialogueId), ne(dialogues.asrStatus, "DONE"))));
    return db
      .select({ chunkId: audioChunks.chunkId, storedPath: audioChunks.storedPath, byteSize: audioChunks.byteSize })
      .from(audioChunks)
      .where(and(isNull(audioChunks.audioDeletedAt), lt(audioChunks.startTs, cutoff), lt(audioChunks.receivedAt, cutoff), ne(audioChunks.vadStatus, "pending"), notExists(stillNeeded)))
      .orderBy(asc(audioChunks.startTs))
      .limit(limit);
  }

  async function markAudioDeleted(chunkIds: readonly string[], at: number): Promise<void> {
    if (chunkIds.length === 0) return;
    await db.update(audioChunks).set({ audioDeletedAt: at }).where(and(inArray(audioChunks.chunkId, [...chunkIds]), isNull(audioChunks.audioDeletedAt)));
  }

  async function storedAudioTotals(): Promise<StoredAudioTotals> {
    const [row] = await db
      .select({ chunks: count(), bytes: sum(audioChunks.byteSize), oldest: min(audioChunks.startTs) })
      .from(audioChunks)
      .where(isNull(audioChunks.audioDeletedAt));
    return { chunks: Number(row?.chunks ?? 0), bytes: Number(row?.bytes ?? 0), oldestStartTs: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest) };
  }

  return { findChunksPastRetention, markAudioDeleted, storedAudioTotals };
}

export type AudioRetentionRepository = ReturnType<typeof createAudioRetentionRepository>;
