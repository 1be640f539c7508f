import { sql } from "drizzle-orm";
import { check, index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * pending    complete on disk in outbox/, waiting for upload (oldest first)
 * uploaded   the core stored it; the file stays in sent/ until the janitor needs the space
 * rejected   the core refused it for good (bad fields, conflict, too large): kept in outbox/, never
 *            retried by itself (`salescontrol-pi requeue` puts it back)
 * discarded  deleted unsent by the janitor (age, quota) or found missing; the row stays as a record
 */
export const chunkStates = ["pending", "uploaded", "rejected", "discarded"] as const;
export type ChunkState = (typeof chunkStates)[number];

/** Every chunk the recorder wrote: the journal beside the spool files. */
export const chunks = sqliteTable(
  "chunks",
  {
    /** The chunk_id sent to the core (UUID), kept across retries so the core recognises a re-send. */
    id: text("id").primaryKey(),
    /** Path of the file relative to the spool directory (outbox/… or sent/…). */
    path: text("path").notNull().unique(),
    sha256: text("sha256").notNull(),
    bytes: integer("bytes").notNull(),
    /** Wall-clock time of the first and just after the last sample, epoch milliseconds. */
    startTs: integer("start_ts").notNull(),
    endTs: integer("end_ts").notNull(),
    /** Decodable audio, from the Ogg granule positions. */
    audioMs: integer("audio_ms").notNull(),
    meanVolumeDb: real("mean_volume_db"),
    maxVolumeDb: real("max_volume_db"),
    state: text("state", { enum: chunkStates }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** 5xx answers to this chunk (other failures neither add nor reset): set aside after many. */
    serverFailures: integer("server_failures").notNull().default(0),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    uploadedAt: integer("uploaded_at"),
    storedPath: text("stored_path"),
    discardedAt: integer("discarded_at"),
    discardReason: text("discard_reason"),
  },
  (table) => [
    index("chunks_state_start_idx").on(table.state, table.startTs),
    check("chunks_state_check", sql`${table.state} IN ('pending', 'uploaded', 'rejected', 'discarded')`),
  ],
);

export type ChunkRow = typeof chunks.$inferSelect;

/** Running totals (and the last upload time) that outlive restarts and the rows they count. */
export const recorderCounters = sqliteTable("recorder_counters", {
  name: text("name").primaryKey(),
  value: integer("value").notNull().default(0),
});
