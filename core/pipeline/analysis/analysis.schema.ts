import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { analysisMethods, customerReactions } from "../../../shared/contracts/analysis-jobs.ts";
import { dialogueTranscripts } from "../asr/asr.schema.ts";
import { dialogues } from "../dialogues/dialogues.schema.ts";

/**
 * One upsell analysis of one transcript, whether an LLM or the offline rules made it (`method`).
 * The rubric the score was given by is stored beside it. Quotes are verbatim spans of the
 * transcript, kept with their offsets.
 */
export const dialogueAnalyses = sqliteTable(
  "dialogue_analyses",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    dialogueId: text("dialogue_id")
      .notNull()
      .references(() => dialogues.dialogueId, { onDelete: "cascade" }),
    transcriptId: integer("transcript_id")
      .notNull()
      .references(() => dialogueTranscripts.id, { onDelete: "cascade" }),
    pass: integer("pass").notNull(),
    method: text("method", { enum: analysisMethods }).notNull(),
    model: text("model"),
    language: text("language").notNull(),
    upsellAttempted: integer("upsell_attempted", { mode: "boolean" }).notNull(),
    customerReaction: text("customer_reaction", { enum: customerReactions }).notNull(),
    customerQuote: text("customer_quote"),
    customerQuoteStart: integer("customer_quote_start"),
    customerQuoteEnd: integer("customer_quote_end"),
    qualityScore: integer("quality_score").notNull(),
    rubric: text("rubric").notNull(),
    qualityRationale: text("quality_rationale").notNull(),
    summary: text("summary").notNull(),
    worker: text("worker"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [uniqueIndex("dialogue_analyses_pass_unique").on(table.dialogueId, table.pass), index("dialogue_analyses_transcript_idx").on(table.transcriptId)],
);

/** Each thing the seller offered, with the seller's exact words. */
export const upsellOffers = sqliteTable(
  "upsell_offers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    analysisId: integer("analysis_id")
      .notNull()
      .references(() => dialogueAnalyses.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    category: text("category").notNull(),
    product: text("product"),
    quote: text("quote").notNull(),
    quoteStart: integer("quote_start").notNull(),
    quoteEnd: integer("quote_end").notNull(),
  },
  (table) => [uniqueIndex("upsell_offers_position_unique").on(table.analysisId, table.position), index("upsell_offers_category_idx").on(table.category)],
);

export type DialogueAnalysisRow = typeof dialogueAnalyses.$inferSelect;
export type UpsellOfferRow = typeof upsellOffers.$inferSelect;
