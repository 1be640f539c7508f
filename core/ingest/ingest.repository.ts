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

/** The span of a device's timeline a stored chunk must not reach into; chunks last at most `maxChunkMs`. */
export interface OverlapWindow {
  deviceId: string;
  startTs: number;
  endTs: number;
  maxChunkMs: number;
}
type WindowPlaceholders = { deviceId: string; windowStartTs: number; windowEndTs: number; earliestStartTs: number };
const windowPlaceholdersOf = (window: OverlapWindow): WindowPlaceholders => ({
  deviceId: window.deviceId,
  windowStartTs: window.startTs,
  windowEndTs: window.endTs,
  earliestStartTs: window.startTs - window.maxChunkMs,
});
/** A chunk of the device whose span reaches into the window (an index range: only starts after earliestStartTs are read). */
const reachesIntoWindow = () =>
  and(
    eq(audioChunks.deviceId, sql.placeholder("deviceId")),
    gt(audioChunks.startTs, sql.placeholder("earliestStartTs")),
    lt(audioChunks.startTs, sql.placeholder("windowEndTs")),
    gt(audioChunks.endTs, sql.placeholder("windowStartTs")),
  );

// Every upload runs the two statements below, built once with placeholders (in-process CPU per call, 2,000 calls in one transaction).
// Built once, reading six columns: 0.08–0.11 ms against 0.32–0.44 ms through the query builder reading whole rows.
const findEarlierStatement = builtOnce<{ chunkId: string; deviceId: string; startTs: number }>((db) =>
  db
    .select(identityColumns)
    .from(audioChunks)
    .where(or(eq(audioChunks.chunkId, sql.placeholder("chunkId")), and(eq(audioChunks.deviceId, sql.placeholder("deviceId")), eq(audioChunks.startTs, sql.placeholder("startTs")))))
    .limit(2)
    .toSQL(),
);
// One statement inserting unless a chunk overlaps: 0.095–0.11 ms against 0.11–0.17 ms for the overlap check and the insert apart.
const insertUnlessOverlappingStatement = builtOnce<ChunkInsert & WindowPlaceholders>(
  (db) => {
    const values = sql.join(
      Object.keys(chunkColumns).map((field) => sql`${sql.placeholder(field)}`),
      sql`, `,
    );
    const overlapping = db.select({ one: sql`1` }).from(audioChunks).where(reachesIntoWindow());
    // The WHERE also keeps SQLite from reading ON CONFLICT as part of the SELECT.
    return db.insert(audioChunks).select(sql`SELECT ${values} WHERE NOT EXISTS ${overlapping}`).onConflictDoNothing().returning({ chunkId: audioChunks.chunkId }).toSQL();
  },
  (field) => {
    if (field === "windowStartTs" || field === "windowEndTs" || field === "earliestStartTs") return (input) => input[field];
    // A field left out gets the column's default, as the query builder would give it.
    const column = chunkColumns[field as keyof typeof chunkColumns];
    const fallback = column.hasDefault ? column.default : null;
    return (row) => row[field as keyof ChunkInsert] ?? fallback;
  },
);
// Read again only when an upload was not stored.
const findOverlappingStatement = builtOnce<WindowPlaceholders>((db) => db.select(spanColumns).from(audioChunks).where(reachesIntoWindow()).orderBy(audioChunks.startTs).limit(1).toSQL());

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
   * The first chunk of the window's device whose span reaches into startTs..endTs (exclusive at both
   * ends), if any. Chunks last at most `maxChunkMs`, so only starts after startTs − maxChunkMs are read.
   */
  async function findOverlappingChunk(window: OverlapWindow): Promise<StoredChunkSpan | null> {
    const rows = rowsOf<StoredChunkSpan>(await findOverlappingStatement.run(db, windowPlaceholdersOf(window)), spanColumns);
    return rows[0] ?? null;
  }

  /** False when a row with the same chunk id, device+start or path exists already. */
  async function insertChunk(row: ChunkInsert): Promise<boolean> {
    const inserted = await db.insert(audioChunks).values(row).onConflictDoNothing().returning({ chunkId: audioChunks.chunkId });
    return inserted.length === 1;
  }

  /** Inserts the chunk unless a chunk of its device reaches into the window, or it exists already (same id, device+start or path). */
  async function insertChunkUnlessOverlapping(row: ChunkInsert, window: Omit<OverlapWindow, "deviceId">): Promise<boolean> {
    const inserted = await insertUnlessOverlappingStatement.run(db, { ...row, ...windowPlaceholdersOf({ ...window, deviceId: row.deviceId }) });
    return inserted.rows.length === 1;
  }

  return { findChunk, findChunkByDeviceStart, findEarlierChunk, findOverlappingChunk, insertChunk, insertChunkUnlessOverlapping };
}

export type IngestRepository = ReturnType<typeof createIngestRepository>;
