import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { type ChunkRow, type ChunkState, chunks, recorderCounters } from "./spool.schema.ts";

export const counterNames = [
  "recorded_total",
  "salvaged_total",
  "uploaded_total",
  "upload_errors_total",
  "rejected_total",
  "deleted_uploaded_total",
  "deleted_unsent_total",
] as const;
export type CounterName = (typeof counterNames)[number];
/** Not a total: the time of the latest confirmed upload, in the same table so it survives restarts. */
const lastUploadMark = "last_upload_at";
export type Counters = Record<CounterName, number>;

export type NewChunk = Pick<ChunkRow, "id" | "path" | "sha256" | "bytes" | "startTs" | "endTs" | "audioMs" | "meanVolumeDb" | "maxVolumeDb" | "createdAt">;

export interface SpoolTotals {
  /** Chunk files on disk (pending, rejected and uploaded ones). */
  files: number;
  bytes: number;
  pendingCount: number;
  pendingBytes: number;
  oldestPendingStartTs: number | null;
  rejectedCount: number;
  uploadedCount: number;
}

export type JanitorCandidate = Pick<ChunkRow, "id" | "path" | "state" | "bytes" | "startTs" | "endTs">;

type SpoolDatabase = LibSQLDatabase<Record<string, unknown>>;
type Executor = Pick<SpoolDatabase, "insert" | "update" | "select" | "delete">;

const onDisk: ChunkState[] = ["pending", "uploaded", "rejected"];

export interface SpoolRepository {
  /** Adds a pending chunk; a chunk id already known is left as it is (registering is idempotent). */
  insertChunk(chunk: NewChunk, counted: CounterName[]): Promise<void>;
  getChunk(id: string): Promise<ChunkRow | null>;
  /** The oldest chunk waiting for upload. */
  nextPendingChunk(): Promise<ChunkRow | null>;
  latestChunk(): Promise<ChunkRow | null>;
  /** When the core last confirmed a chunk (epoch ms), kept across restarts; null before the first. */
  lastUploadAt(): Promise<number | null>;
  /** Only a pending chunk becomes uploaded; false when it was not pending any more. */
  markUploaded(id: string, update: { path: string; uploadedAt: number; storedPath: string }): Promise<boolean>;
  recordUploadFailure(id: string, failure: { error: string; serverFailure: boolean }): Promise<{ attempts: number; serverFailures: number } | null>;
  markRejected(id: string, error: string): Promise<boolean>;
  markDiscarded(id: string, update: { reason: string; at: number }): Promise<boolean>;
  /** Forgets an uploaded chunk whose file the janitor deleted. */
  forgetUploaded(id: string): Promise<boolean>;
  /** Puts rejected chunks back in the queue; returns how many. */
  requeueRejected(): Promise<number>;
  /** Chunks with a file whose recording started before `cutoff`, oldest first. */
  chunksStartedBefore(cutoff: number): Promise<JanitorCandidate[]>;
  /** Oldest first; uploaded ones, or the unsent (pending and rejected) ones. */
  oldestChunks(kind: "uploaded" | "unsent", limit: number): Promise<JanitorCandidate[]>;
  chunksWithFiles(): Promise<Array<Pick<ChunkRow, "id" | "path" | "state">>>;
  hasChunk(id: string): Promise<ChunkState | null>;
  totals(): Promise<SpoolTotals>;
  counters(): Promise<Counters>;
}

export function createSpoolRepository(db: SpoolDatabase): SpoolRepository {
  const increment = async (executor: Executor, names: CounterName[]) => {
    for (const name of names) {
      await executor
        .insert(recorderCounters)
        .values({ name, value: 1 })
        .onConflictDoUpdate({ target: recorderCounters.name, set: { value: sql`${recorderCounters.value} + 1` } });
    }
  };

  /** Applies a change to one chunk and counts it, in one transaction; false when no row changed. */
  const changeCounted = (change: (tx: Executor) => Promise<unknown[]>, counted: CounterName[]) =>
    db.transaction(async (tx) => {
      if ((await change(tx)).length === 0) return false;
      await increment(tx, counted);
      return true;
    });

  return {
    async insertChunk(chunk, counted) {
      await db.transaction(async (tx) => {
        const inserted = await tx.insert(chunks).values({ ...chunk, state: "pending" }).onConflictDoNothing().returning({ id: chunks.id });
        if (inserted.length > 0) await increment(tx, counted);
      });
    },

    async getChunk(id) {
      const rows = await db.select().from(chunks).where(eq(chunks.id, id)).limit(1);
      return rows[0] ?? null;
    },

    async nextPendingChunk() {
      const rows = await db.select().from(chunks).where(eq(chunks.state, "pending")).orderBy(asc(chunks.startTs), asc(chunks.createdAt)).limit(1);
      return rows[0] ?? null;
    },

    async latestChunk() {
      const rows = await db.select().from(chunks).orderBy(desc(chunks.startTs)).limit(1);
      return rows[0] ?? null;
    },

    async lastUploadAt() {
      const rows = await db.select({ value: recorderCounters.value }).from(recorderCounters).where(eq(recorderCounters.name, lastUploadMark)).limit(1);
      return rows[0]?.value ?? null;
    },

    markUploaded: (id, update) =>
      changeCounted(async (tx) => {
        const changed = await tx
          .update(chunks)
          .set({ state: "uploaded", path: update.path, uploadedAt: update.uploadedAt, storedPath: update.storedPath, attempts: sql`${chunks.attempts} + 1`, lastError: null })
          .where(and(eq(chunks.id, id), eq(chunks.state, "pending")))
          .returning({ id: chunks.id });
        // The uploaded row goes when the janitor deletes its file, so the time is kept apart from it.
        if (changed.length > 0) {
          await tx
            .insert(recorderCounters)
            .values({ name: lastUploadMark, value: update.uploadedAt })
            .onConflictDoUpdate({ target: recorderCounters.name, set: { value: sql`max(${recorderCounters.value}, ${update.uploadedAt})` } });
        }
        return changed;
      }, ["uploaded_total"]),

    async recordUploadFailure(id, failure) {
      return db.transaction(async (tx) => {
        const updated = await tx
          .update(chunks)
          .set({
            attempts: sql`${chunks.attempts} + 1`,
            serverFailures: failure.serverFailure ? sql`${chunks.serverFailures} + 1` : sql`${chunks.serverFailures}`,
            lastError: failure.error,
          })
          .where(and(eq(chunks.id, id), eq(chunks.state, "pending")))
          .returning({ attempts: chunks.attempts, serverFailures: chunks.serverFailures });
        await increment(tx, ["upload_errors_total"]);
        return updated[0] ?? null;
      });
    },

    markRejected: (id, error) =>
      changeCounted(
        (tx) =>
          tx
            .update(chunks)
            .set({ state: "rejected", attempts: sql`${chunks.attempts} + 1`, lastError: error })
            .where(and(eq(chunks.id, id), eq(chunks.state, "pending")))
            .returning({ id: chunks.id }),
        ["rejected_total", "upload_errors_total"],
      ),

    markDiscarded: (id, update) =>
      changeCounted(
        (tx) =>
          tx
            .update(chunks)
            .set({ state: "discarded", discardedAt: update.at, discardReason: update.reason })
            .where(and(eq(chunks.id, id), inArray(chunks.state, ["pending", "rejected"])))
            .returning({ id: chunks.id }),
        ["deleted_unsent_total"],
      ),

    forgetUploaded: (id) =>
      changeCounted(
        (tx) =>
          tx
            .delete(chunks)
            .where(and(eq(chunks.id, id), eq(chunks.state, "uploaded")))
            .returning({ id: chunks.id }),
        ["deleted_uploaded_total"],
      ),

    async requeueRejected() {
      const updated = await db
        .update(chunks)
        .set({ state: "pending", serverFailures: 0 })
        .where(eq(chunks.state, "rejected"))
        .returning({ id: chunks.id });
      return updated.length;
    },

    async chunksStartedBefore(cutoff) {
      return db
        .select({ id: chunks.id, path: chunks.path, state: chunks.state, bytes: chunks.bytes, startTs: chunks.startTs, endTs: chunks.endTs })
        .from(chunks)
        .where(and(inArray(chunks.state, onDisk), lt(chunks.startTs, cutoff)))
        .orderBy(asc(chunks.startTs));
    },

    async oldestChunks(kind, limit) {
      const states: ChunkState[] = kind === "uploaded" ? ["uploaded"] : ["pending", "rejected"];
      return db
        .select({ id: chunks.id, path: chunks.path, state: chunks.state, bytes: chunks.bytes, startTs: chunks.startTs, endTs: chunks.endTs })
        .from(chunks)
        .where(inArray(chunks.state, states))
        .orderBy(asc(chunks.startTs))
        .limit(limit);
    },

    async chunksWithFiles() {
      return db.select({ id: chunks.id, path: chunks.path, state: chunks.state }).from(chunks).where(inArray(chunks.state, onDisk));
    },

    async hasChunk(id) {
      const rows = await db.select({ state: chunks.state }).from(chunks).where(eq(chunks.id, id)).limit(1);
      return rows[0]?.state ?? null;
    },

    async totals() {
      const rows = await db
        .select({ state: chunks.state, count: sql<number>`count(*)`, bytes: sql<number>`coalesce(sum(${chunks.bytes}), 0)`, oldest: sql<number | null>`min(${chunks.startTs})` })
        .from(chunks)
        .where(inArray(chunks.state, onDisk))
        .groupBy(chunks.state);
      const totals: SpoolTotals = { files: 0, bytes: 0, pendingCount: 0, pendingBytes: 0, oldestPendingStartTs: null, rejectedCount: 0, uploadedCount: 0 };
      for (const row of rows) {
        totals.files += Number(row.count);
        totals.bytes += Number(row.bytes);
        if (row.state === "pending") {
          totals.pendingCount = Number(row.count);
          totals.pendingBytes = Number(row.bytes);
          totals.oldestPendingStartTs = row.oldest === null ? null : Number(row.oldest);
        } else if (row.state === "rejected") totals.rejectedCount = Number(row.count);
        else if (row.state === "uploaded") totals.uploadedCount = Number(row.count);
      }
      return totals;
    },

    async counters() {
      const rows = await db.select().from(recorderCounters);
      const counters = Object.fromEntries(counterNames.map((name) => [name, 0])) as Counters;
      for (const row of rows) if ((counterNames as readonly string[]).includes(row.name)) counters[row.name as CounterName] = row.value;
      return counters;
    },
  };
}
