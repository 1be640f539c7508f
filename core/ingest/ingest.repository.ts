import { and, eq, gt, lt, or } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { type AudioChunkRow, audioChunks } from "./ingest.schema.ts";

export function createIngestRepository(db: CoreDatabase) {
  async function findChunk(chunkId: string): Promise<AudioChunkRow | null> {
    const rows = await db.select().from(audioChunks).where(eq(audioChunks.chunkId, chunkId)).limit(1);
    return rows[0] ?? null;
  }

  /** The chunk a device already uploaded for this start time, if any. */
  async function findChunkByDeviceStart(deviceId: string, startTs: number): Promise<AudioChunkRow | null> {
    const rows = await db
      .select()
      .from(audioChunks)
      .where(and(eq(audioChunks.deviceId, deviceId), eq(audioChunks.startTs, startTs)))
      .limit(1);
    return rows[0] ?? null;
  }

  /** A chunk stored before under this chunk_id or, failing that, for this device and start time. */
  async function findEarlierChunk(chunkId: string, deviceId: string, startTs: number): Promise<AudioChunkRow | null> {
    const rows = await db
      .select()
      .from(audioChunks)
      .where(or(eq(audioChunks.chunkId, chunkId), and(eq(audioChunks.deviceId, deviceId), eq(audioChunks.startTs, startTs))))
      .limit(2);
    return rows.find((row) => row.chunkId === chunkId) ?? rows[0] ?? null;
  }

  /**
   * A chunk of this device whose span reaches into startTs..endTs (exclusive at both ends), if any.
   * Chunks last at most `maxChunkMs`, so only starts after startTs − maxChunkMs are read (an index range).
   */
  async function findOverlappingChunk(deviceId: string, startTs: number, endTs: number, maxChunkMs: number): Promise<AudioChunkRow | null> {
    const rows = await db
      .select()
      .from(audioChunks)
      .where(and(eq(audioChunks.deviceId, deviceId), gt(audioChunks.startTs, startTs - maxChunkMs), lt(audioChunks.startTs, endTs), gt(audioChunks.endTs, startTs)))
      .orderBy(audioChunks.startTs)
      .limit(1);
    return rows[0] ?? null;
  }

  /** False when a row with the same chunk id, device+start or path exists already. */
  async function insertChunk(row: typeof audioChunks.$inferInsert): Promise<boolean> {
    const inserted = await db.insert(audioChunks).values(row).onConflictDoNothing().returning({ chunkId: audioChunks.chunkId });
    return inserted.length === 1;
  }

  return { findChunk, findChunkByDeviceStart, findEarlierChunk, findOverlappingChunk, insertChunk };
}

export type IngestRepository = ReturnType<typeof createIngestRepository>;
