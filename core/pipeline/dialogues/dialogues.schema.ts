import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { speechSegments } from "../vad/vad.schema.ts";

export const dialogueStatuses = ["open", "closed"] as const;
export type DialogueStatus = (typeof dialogueStatuses)[number];
export const dialogueCloseReasons = ["silence", "max_length", "timeout"] as const;
export type DialogueCloseReason = (typeof dialogueCloseReasons)[number];
/** Upper case, as operators of the original system query them (`WHERE asr_status = 'DONE'`). */
export const asrStatuses = ["PENDING", "QUEUED", "DONE", "FAILED"] as const;
export type AsrStatus = (typeof asrStatuses)[number];
export const analysisStatuses = ["PENDING", "QUEUED", "DONE", "FAILED", "SKIPPED"] as const;
export type AnalysisStatus = (typeof analysisStatuses)[number];
/** What a new revision of a dialogue resets: its transcript and analysis describe the old one. */
export const pipelineStagesReset = { asrStatus: "PENDING", asrError: null, analysisStatus: "PENDING", analysisError: null } as const;

/**
 * A conversation at one register: speech segments joined across chunks until a silence gap or the
 * maximum length. `revision` grows whenever the set of segments changes (a late chunk folded in),
 * so later stages can tell that a dialogue they already processed needs another pass.
 */
export const dialogues = sqliteTable(
  "dialogues",
  {
    dialogueId: text("dialogue_id").primaryKey(),
    pointId: text("point_id").notNull(),
    registerId: text("register_id").notNull(),
    startTs: integer("start_ts").notNull(),
    endTs: integer("end_ts").notNull(),
    segmentCount: integer("segment_count").notNull(),
    speechMs: integer("speech_ms").notNull(),
    status: text("status", { enum: dialogueStatuses }).notNull(),
    closeReason: text("close_reason", { enum: dialogueCloseReasons }),
    revision: integer("revision").notNull().default(1),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    closedAt: integer("closed_at"),
    /** PENDING until closed and queued; DONE once the current revision is transcribed. */
    asrStatus: text("asr_status", { enum: asrStatuses }).notNull().default("PENDING"),
    /** Transcripts stored for this dialogue so far (a new revision is transcribed again). */
    asrPass: integer("asr_pass").notNull().default(0),
    asrError: text("asr_error"),
    analysisStatus: text("analysis_status", { enum: analysisStatuses }).notNull().default("PENDING"),
    analysisPass: integer("analysis_pass").notNull().default(0),
    analysisError: text("analysis_error"),
  },
  (table) => [
    index("dialogues_stream_idx").on(table.pointId, table.registerId, table.startTs),
    index("dialogues_status_idx").on(table.status, table.endTs),
    index("dialogues_asr_idx").on(table.asrStatus, table.status, table.endTs),
    check("dialogues_status_check", sql`${table.status} IN ('open', 'closed')`),
  ],
);

/** Which speech segments (and so which chunk offsets) make up a dialogue; a segment belongs to one. */
export const dialogueSegments = sqliteTable(
  "dialogue_segments",
  {
    speechSegmentId: integer("speech_segment_id")
      .primaryKey()
      .references(() => speechSegments.id, { onDelete: "cascade" }),
    dialogueId: text("dialogue_id")
      .notNull()
      .references(() => dialogues.dialogueId, { onDelete: "cascade" }),
    chunkId: text("chunk_id").notNull(),
    startTs: integer("start_ts").notNull(),
    endTs: integer("end_ts").notNull(),
    offsetStartMs: integer("offset_start_ms").notNull(),
    offsetEndMs: integer("offset_end_ms").notNull(),
  },
  (table) => [index("dialogue_segments_dialogue_idx").on(table.dialogueId, table.startTs)],
);

export type DialogueRow = typeof dialogues.$inferSelect;
export type DialogueSegmentRow = typeof dialogueSegments.$inferSelect;
