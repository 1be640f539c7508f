import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { audioChunks } from "../../ingest/ingest.schema.ts";

/** Speech found in a chunk: offsets inside the chunk and the same span in absolute time. */
export const speechSegments = sqliteTable(
  "speech_segments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    chunkId: text("chunk_id")
      .notNull()
      .references(() => audioChunks.chunkId, { onDelete: "cascade" }),
    pointId: text("point_id").notNull(),
    registerId: text("register_id").notNull(),
    startTs: integer("start_ts").notNull(),
    endTs: integer("end_ts").notNull(),
    offsetStartMs: integer("offset_start_ms").notNull(),
    offsetEndMs: integer("offset_end_ms").notNull(),
  },
  (table) => [
    uniqueIndex("speech_segments_chunk_offset_unique").on(table.chunkId, table.offsetStartMs),
    index("speech_segments_stream_idx").on(table.pointId, table.registerId, table.startTs),
  ],
);

export type SpeechSegmentRow = typeof speechSegments.$inferSelect;
