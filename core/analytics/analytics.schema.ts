import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { customerReactions } from "../../shared/contracts/analysis-jobs.ts";
import { dialogues } from "../pipeline/dialogues/dialogues.schema.ts";

/** The point and register a row belongs to. */
function registerColumns() {
  return { pointId: text("point_id").notNull(), registerId: text("register_id").notNull() };
}

/** Totals of one local hour of one register: kept per local day, and summed per local month. */
function hourlyTotalsColumns() {
  return {
    localHour: integer("local_hour").notNull(),
    ...registerColumns(),
    dialogues: integer("dialogues").notNull(),
    upsellAttempts: integer("upsell_attempts").notNull(),
    qualitySum: integer("quality_sum").notNull(),
  };
}

/**
 * One row per analysed dialogue: its current analysis flattened beside its place and its local day
 * and hour in the dashboard's time zone. Kept up to date from the analyses by the analytics
 * repository, so the dashboard reads neither JSON nor joins on its hot paths.
 */
export const dialogueFacts = sqliteTable(
  "dialogue_facts",
  {
    dialogueId: text("dialogue_id")
      .primaryKey()
      .references(() => dialogues.dialogueId, { onDelete: "cascade" }),
    analysisId: integer("analysis_id").notNull(),
    transcriptId: integer("transcript_id").notNull(),
    /**
     * The transcript's rowid in the search index: start time × 1024 plus a free slot, so matches come
     * out in time order. 0 only on facts written before the key existed, which a rebuild replaces.
     */
    searchKey: integer("search_key").notNull().default(0),
    ...registerColumns(),
    startTs: integer("start_ts").notNull(),
    /** yyyymmdd in the dashboard's time zone. */
    localDay: integer("local_day").notNull(),
    localHour: integer("local_hour").notNull(),
    upsellAttempted: integer("upsell_attempted", { mode: "boolean" }).notNull(),
    accepted: integer("accepted", { mode: "boolean" }).notNull(),
    qualityScore: integer("quality_score").notNull(),
    customerReaction: text("customer_reaction", { enum: customerReactions }).notNull(),
    /** Offer categories, comma-separated, in the order the seller offered them. */
    categories: text("categories").notNull(),
  },
  (table) => [
    index("dialogue_facts_time_idx").on(table.startTs, table.dialogueId),
    index("dialogue_facts_point_time_idx").on(table.pointId, table.startTs, table.dialogueId),
    index("dialogue_facts_register_time_idx").on(table.registerId, table.startTs, table.dialogueId),
    index("dialogue_facts_quality_idx").on(table.qualityScore, table.startTs, table.dialogueId),
    index("dialogue_facts_day_idx").on(table.localDay),
    index("dialogue_facts_analysis_idx").on(table.analysisId),
    index("dialogue_facts_search_idx").on(table.searchKey),
  ],
);

/** Each offer category of an analysed dialogue, and whether the customer took it. */
export const dialogueFactCategories = sqliteTable(
  "dialogue_fact_categories",
  {
    dialogueId: text("dialogue_id")
      .notNull()
      .references(() => dialogueFacts.dialogueId, { onDelete: "cascade" }),
    category: text("category").notNull(),
    ...registerColumns(),
    localDay: integer("local_day").notNull(),
    accepted: integer("accepted", { mode: "boolean" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.dialogueId, table.category] }), index("dialogue_fact_categories_day_idx").on(table.localDay)],
);

/** Totals per local day and register: a year of the overview reads tens of thousands of rows, not millions. */
export const analyticsDaily = sqliteTable(
  "analytics_daily",
  {
    localDay: integer("local_day").notNull(),
    ...registerColumns(),
    dialogues: integer("dialogues").notNull(),
    upsellAttempts: integer("upsell_attempts").notNull(),
    accepted: integer("accepted").notNull(),
    qualitySum: integer("quality_sum").notNull(),
    quality0: integer("quality_0").notNull(),
    quality1: integer("quality_1").notNull(),
    quality2: integer("quality_2").notNull(),
    quality3: integer("quality_3").notNull(),
    quality4: integer("quality_4").notNull(),
    quality5: integer("quality_5").notNull(),
    quality6: integer("quality_6").notNull(),
    quality7: integer("quality_7").notNull(),
    quality8: integer("quality_8").notNull(),
    quality9: integer("quality_9").notNull(),
    quality10: integer("quality_10").notNull(),
  },
  (table) => [primaryKey({ columns: [table.localDay, table.pointId, table.registerId] })],
);

/** Totals per local day, local hour and register. */
export const analyticsHourly = sqliteTable(
  "analytics_hourly",
  { localDay: integer("local_day").notNull(), ...hourlyTotalsColumns() },
  (table) => [primaryKey({ columns: [table.localDay, table.localHour, table.pointId, table.registerId] })],
);

/** The hourly totals summed per local month (yyyymm): a year of the hourly chart reads months, not days. */
export const analyticsMonthlyHourly = sqliteTable(
  "analytics_monthly_hourly",
  { localMonth: integer("local_month").notNull(), ...hourlyTotalsColumns() },
  (table) => [primaryKey({ columns: [table.localMonth, table.localHour, table.pointId, table.registerId] })],
);

/** Dialogues that offered a category, and how many of them ended accepted, per local day and register. */
export const analyticsDailyCategories = sqliteTable(
  "analytics_daily_categories",
  {
    localDay: integer("local_day").notNull(),
    ...registerColumns(),
    category: text("category").notNull(),
    offers: integer("offers").notNull(),
    accepted: integer("accepted").notNull(),
  },
  (table) => [primaryKey({ columns: [table.localDay, table.pointId, table.registerId, table.category] })],
);

/** How far the facts have followed the analyses, in which time zone and by which version of their shape they were computed. */
export const analyticsState = sqliteTable("analytics_state", {
  id: integer("id").primaryKey(),
  timezone: text("timezone").notNull(),
  lastAnalysisId: integer("last_analysis_id").notNull(),
  factsVersion: integer("facts_version").notNull().default(1),
});

/**
 * Facts a re-planned dialogue left behind: its dialogue was deleted (merged into another) or moved
 * in time or place. Written by triggers on those tables, read and cleared by the next catch-up,
 * which recomputes the day's totals and the fact itself.
 */
export const analyticsStaleFacts = sqliteTable("analytics_stale_facts", {
  dialogueId: text("dialogue_id").primaryKey(),
  localDay: integer("local_day").notNull(),
});

export type DialogueFactRow = typeof dialogueFacts.$inferSelect;
