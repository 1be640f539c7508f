import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { devices } from "../devices/devices.schema.ts";

export const vadStatuses = ["pending", "done", "failed"] as const;

/** One uploaded recording: where its file lies, what the recorder said about it, and its VAD state. */
export const audioChunks = sqliteTable(
  "audio_chunks",
  {
    chunkId: text("chunk_id").primaryKey(),
    deviceId: text("device_id")
      .notNull()
      .references(() => devices.deviceId),
    pointId: text("point_id").notNull(),
    registerId: text("register_id").notNull(),
    /** Epoch milliseconds, as the recorder reported them. */
    startTs: integer("start_ts").notNull(),
    endTs: integer("end_ts").notNull(),
    codec: text("codec").notNull(),
    sampleRate: integer("sample_rate").notNull(),
    channels: integer("channels").notNull(),
    byteSize: integer("byte_size").notNull(),
    sha256: text("sha256").notNull(),
    /** Relative to AUDIO_STORAGE_PATH. */
    storedPath: text("stored_path").notNull(),
    receivedAt: integer("received_at").notNull(),
    vadStatus: text("vad_status", { enum: vadStatuses }).notNull().default("pending"),
    vadAt: integer("vad_at"),
    /** Length of the decoded audio and of the speech found in it, once VAD ran. */
    audioMs: integer("audio_ms"),
    speechMs: integer("speech_ms"),
    vadError: text("vad_error"),
    /** When retention deleted the chunk's file (AUDIO_RETENTION_DAYS); the row and what was learnt from it stay. */
    audioDeletedAt: integer("audio_deleted_at"),
  },
  (table) => [
    uniqueIndex("audio_chunks_device_start_unique").on(table.deviceId, table.startTs),
    uniqueIndex("audio_chunks_stored_path_unique").on(table.storedPath),
    index("audio_chunks_stream_idx").on(table.pointId, table.registerId, table.startTs),
    index("audio_chunks_audio_kept_idx").on(table.startTs).where(sql`${table.audioDeletedAt} IS NULL`),
    check("audio_chunks_vad_status_check", sql`${table.vadStatus} IN ('pending', 'done', 'failed')`),
  ],
);

export type AudioChunkRow = typeof audioChunks.$inferSelect;
