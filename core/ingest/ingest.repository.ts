import { and, eq, getTableColumns, gt, lt, or, sql } from "drizzle-orm";
import { builtOnce, rowsOf } from "../../shared/db/built-statement.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { type AudioChunkRow, audioChunks } from "./ingest.schema.ts";

/** What an upload is compared with when it repeats a chunk stored before. */
export type StoredChunkIdentity = Pick<AudioChunkRow, "chunkId" | "deviceId" | "startTs" | "endTs" | "sha256" | "storedPath">;
/** A stored chunk's span, for the overlap check. */
export type StoredChunkSpan = Pick<AudioChunkRow, "chunkId" | "startTs" | "endTs">;

const { chunkId, deviceId, startTs, endTs, sha256, storedPath } = getTableColumns(audioChunks);
const identityColumns = { chunkId, deviceId, startTs, endTs, sha256, storedPath };
const spanColumns = { chunkId, startTs, endTs };
const chunkColumns = getTableColumns(audioChunks);
type ChunkInsert = typeof audioChunks.$inferInsert;

// Every upload runs the three statements below, built once with placeholders (in-process CPU per call, 2,000 calls in one transaction).
// Built once, reading six columns: 0.08–0.11 ms against 0.32–0.44 ms through the query builder reading whole rows.
const findEarlierStatement = builtOnce<{ chunkId: string; deviceId: string; startTs: number }>((db) =>
  db
    .select(identityColumns)
    .from(audioChunks)
    .where(or(eq(audioChunks.chunkId, sql.placeholder("chunkId")), and(eq(audioChunks.deviceId, sql.placeholder("deviceId")), eq(audioChunks.startTs, sql.placeholder("startTs")))))
    .limit(2)
    .toSQL(),
);
// Built once, reading three columns: 0.05–0.07 ms against 0.34–0.40 ms through the query builder reading whole rows.
const findOverlappingStatement = builtOnce<{ deviceId: string; startTs: number; endTs: number; earliestStartTs: number }>((db) =>
  db
    .select(spanColumns)
    .from(audioChunks)
    .where(
      and(
        eq(audioChunks.deviceId, sql.placeholder("deviceId")),
        gt(audioChunks.startTs, sql.placeholder("earliestStartTs")),
        lt(audioChunks.startTs, sql.placeholder("endTs")),
        gt(audioChunks.endTs, sql.placeholder("startTs")),
      ),
    )
    .orderBy(audioChunks.startTs)
    .limit(1)
    .toSQL(),
);
// Built once: 0.12–0.14 ms against 0.25–0.27 ms through the query builder.
const insertChunkStatement = builtOnce<ChunkInsert>(
  (db) =>
    db
      .insert(audioChunks)
      .values(Object.fromEntries(Object.keys(chunkColumns).map((field) => [field, sql.placeholder(field)])) as unknown as ChunkInsert)
      .onConflictDoNothing()
      .returning({ chunkId: audioChunks.chunkId })
      .toSQL(),
  (field) => {
    // A field left out gets the column's default, as the query builder would give it.
    const column = chunkColumns[field as keyof typeof chunkColumns];
    const fallback = column.hasDefault ? column.default : null;
    return (row) => row[field as keyof ChunkInsert] ?? fallback;
  },
);

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
  async function findEarlierChunk(chunkId: string, deviceId: string, startTs: number): Promise<StoredChunkIdentity | null> {
    const rows = rowsOf<StoredChunkIdentity>(await findEarlierStatement.run(db, { chunkId, deviceId, startTs }), identityColumns);
    return rows.find((row) => row.chunkId === chunkId) ?? rows[0] ?? null;
  }

  /**
   * A chunk of this device whose span reaches into startTs..endTs (exclusive at both ends), if any.
   * Chunks last at most `maxChunkMs`, so only starts after startTs − maxChunkMs are read (an index range).
   */
  async function findOverlappingChunk(deviceId: string, startTs: number, endTs: number, maxChunkMs: number): Promise<StoredChunkSpan | null> {
    const rows = rowsOf<StoredChunkSpan>(await findOverlappingStatement.run(db, { deviceId, startTs, endTs, earliestStartTs: startTs - maxChunkMs }), spanColumns);
    return rows[0] ?? null;
  }

  /** False when a row with the same chunk id, device+start or path exists already. */
  async function insertChunk(row: ChunkInsert): Promise<boolean> {
    const inserted = await insertChunkStatement.run(db, row);
    return inserted.rows.length === 1;
  }

  return { findChunk, findChunkByDeviceStart, findEarlierChunk, findOverlappingChunk, insertChunk };
}

export type IngestRepository = ReturnType<typeof createIngestRepository>;
