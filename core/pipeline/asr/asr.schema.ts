import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { dialogues } from "../dialogues/dialogues.schema.ts";

/**
 * What a dialogue's audio said, one row per transcribed revision: a dialogue that grows after it was
 * transcribed is transcribed again (pass 2, …), and a merged-away dialogue takes its rows with it.
 */
export const dialogueTranscripts = sqliteTable(
  "dialogue_transcripts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    dialogueId: text("dialogue_id")
      .notNull()
      .references(() => dialogues.dialogueId, { onDelete: "cascade" }),
    /** The dialogue revision this transcript describes. */
    revision: integer("revision").notNull(),
    pass: integer("pass").notNull(),
    text: text("text").notNull(),
    /** JSON [{start_ms, end_ms, text}] from the dialogue's start, or null when the server gave none. */
    segments: text("segments"),
    language: text("language"),
    model: text("model").notNull(),
    audioMs: integer("audio_ms").notNull(),
    providerMs: integer("provider_ms").notNull(),
    worker: text("worker"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("dialogue_transcripts_revision_unique").on(table.dialogueId, table.revision),
    uniqueIndex("dialogue_transcripts_pass_unique").on(table.dialogueId, table.pass),
  ],
);

export type DialogueTranscriptRow = typeof dialogueTranscripts.$inferSelect;
