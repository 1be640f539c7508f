import { and, asc, between, desc, eq, gt, gte, inArray, lt, lte, max, or, type SQL, sql, sum } from "drizzle-orm";
import { integer, type SQLiteColumn, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { CoreDatabase } from "../db/core-database.ts";
import { dialogueAnalyses, upsellOffers } from "../pipeline/analysis/analysis.schema.ts";
import { dialogueTranscripts } from "../pipeline/asr/asr.schema.ts";
import { dialogues } from "../pipeline/dialogues/dialogues.schema.ts";
import { analyticsDaily, analyticsDailyCategories, analyticsHourly, analyticsMonthlyHourly, analyticsStaleFacts, analyticsState, dialogueFactCategories, dialogueFacts } from "./analytics.schema.ts";
import { addDays, type LocalCalendar } from "./local-time.ts";

/** Which points a caller may see: all of them, or only these. */
export type PointScope = { kind: "all" } | { kind: "points"; pointIds: readonly string[] };

export interface PlaceFilter {
  scope: PointScope;
  pointId?: string;
  registerId?: string;
}

export interface DayRange extends PlaceFilter {
  fromDay: number;
  toDay: number;
}

export type DialogueSort = "time_desc" | "time_asc" | "quality_desc" | "quality_asc";

export interface DialogueListFilter extends PlaceFilter {
  fromTs: number;
  toTs: number;
  upsell?: boolean;
  qualityMin?: number;
  qualityMax?: number;
  category?: string;
  /** An FTS5 query over transcripts. */
  match?: string;
  sort: DialogueSort;
  limit: number;
  /** The last row of the previous page: its sort key (time or quality), start and id. */
  after?: { key: number; startTs: number; dialogueId: string };
}

const refreshBatch = 1000;
/** Bump when the facts change shape or content: a state written by an older version makes the next catch-up rebuild them. */
export const analyticsFactsVersion = 2;
/** Search keys per millisecond of start time: start × 1024 stays an exact integer in a JavaScript number until the year 2248. */
const searchSlots = 1024;
const qualityColumns = [
  analyticsDaily.quality0,
  analyticsDaily.quality1,
  analyticsDaily.quality2,
  analyticsDaily.quality3,
  analyticsDaily.quality4,
  analyticsDaily.quality5,
  analyticsDaily.quality6,
  analyticsDaily.quality7,
  analyticsDaily.quality8,
  analyticsDaily.quality9,
  analyticsDaily.quality10,
] as const;

// drizzle-kit cannot declare an FTS5 table or a trigger; the index holds only a copy of transcripts and is rebuilt from them.
// Its rowid is the fact's search key, so a search walks matches in time order and stops at the page's end.
const createSearchTable = sql`CREATE VIRTUAL TABLE IF NOT EXISTS dialogue_search USING fts5(body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')`;
/** The search index as queries read it (declared here, not in the schema: drizzle-kit must not create it). */
const dialogueSearch = sqliteTable("dialogue_search", { rowid: integer("rowid").notNull(), body: text("body").notNull() });
// Re-planning deletes a merged dialogue (its fact goes by cascade) or moves one in time or place: both leave a day's totals to redo.
const factRemovedTrigger = "dialogue_facts_removed";
const createFactRemovedTrigger = sql.raw(`CREATE TRIGGER IF NOT EXISTS ${factRemovedTrigger} AFTER DELETE ON dialogue_facts BEGIN
  INSERT OR IGNORE INTO analytics_stale_facts (dialogue_id, local_day) VALUES (old.dialogue_id, old.local_day);
  DELETE FROM dialogue_search WHERE rowid = old.search_key;
END`);
const createDialogueMovedTrigger = sql.raw(`CREATE TRIGGER IF NOT EXISTS dialogues_moved_facts AFTER UPDATE OF start_ts, point_id, register_id ON dialogues
  WHEN old.start_ts IS NOT new.start_ts OR old.point_id IS NOT new.point_id OR old.register_id IS NOT new.register_id BEGIN
  INSERT OR IGNORE INTO analytics_stale_facts (dialogue_id, local_day) SELECT dialogue_id, local_day FROM dialogue_facts WHERE dialogue_id = new.dialogue_id;
END`);

const total = (column: SQL.Aliased | Parameters<typeof sum>[0]) => sql<number>`coalesce(${sum(column as Parameters<typeof sum>[0])}, 0)`.mapWith(Number);

/** The conditions that keep a table's rows to a caller's points and the place asked for. */
export function placeConditions(table: { pointId: SQLiteColumn; registerId: SQLiteColumn }, filter: PlaceFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.scope.kind === "points") conditions.push(inArray(table.pointId, [...filter.scope.pointIds]));
  if (filter.pointId) conditions.push(eq(table.pointId, filter.pointId));
  if (filter.registerId) conditions.push(eq(table.registerId, filter.registerId));
  return conditions;
}

export function createAnalyticsRepository(db: CoreDatabase) {

  function dayRangeCondition(table: { localDay: SQLiteColumn; pointId: SQLiteColumn; registerId: SQLiteColumn }, range: DayRange): SQL | undefined {
    return and(between(table.localDay, range.fromDay, range.toDay), ...placeConditions(table, range));
  }

  /** The daily totals summed over the rows a query reads or groups. */
  function summedDailyTotals() {
    return {
      dialogues: total(analyticsDaily.dialogues),
      upsellAttempts: total(analyticsDaily.upsellAttempts),
      accepted: total(analyticsDaily.accepted),
      qualitySum: total(analyticsDaily.qualitySum),
    };
  }

  /** Per-hour totals summed over the rows a query groups; the monthly table holds the same totals as the hourly one. */
  function summedHourlyTotals(table: typeof analyticsHourly | typeof analyticsMonthlyHourly) {
    return { hour: table.localHour, dialogues: total(table.dialogues), upsellAttempts: total(table.upsellAttempts), qualitySum: total(table.qualitySum) };
  }

  async function recomputeRollups(tx: CoreDatabase, days: number[]): Promise<void> {
    for (let index = 0; index < days.length; index += 500) {
      const batch = days.slice(index, index + 500);
      await tx.delete(analyticsDaily).where(inArray(analyticsDaily.localDay, batch));
      await tx.delete(analyticsHourly).where(inArray(analyticsHourly.localDay, batch));
      await tx.delete(analyticsDailyCategories).where(inArray(analyticsDailyCategories.localDay, batch));
      const count = (condition: SQL) => sql<number>`count(*) filter (where ${condition})`;
      await tx.insert(analyticsDaily).select(
        tx
          .select({
            localDay: dialogueFacts.localDay,
            pointId: dialogueFacts.pointId,
            registerId: dialogueFacts.registerId,
            dialogues: sql<number>`count(*)`.as("dialogues"),
            upsellAttempts: count(eq(dialogueFacts.upsellAttempted, true)).as("upsell_attempts"),
            accepted: count(eq(dialogueFacts.accepted, true)).as("accepted"),
            qualitySum: sql<number>`sum(${dialogueFacts.qualityScore})`.as("quality_sum"),
            ...Object.fromEntries(qualityColumns.map((_, score) => [`quality${score}`, count(eq(dialogueFacts.qualityScore, score)).as(`quality_${score}`)])),
          } as never)
          .from(dialogueFacts)
          .where(inArray(dialogueFacts.localDay, batch))
          .groupBy(dialogueFacts.localDay, dialogueFacts.pointId, dialogueFacts.registerId) as never,
      );
      await tx.insert(analyticsHourly).select(
        tx
          .select({
            localDay: dialogueFacts.localDay,
            localHour: dialogueFacts.localHour,
            pointId: dialogueFacts.pointId,
            registerId: dialogueFacts.registerId,
            dialogues: sql<number>`count(*)`.as("dialogues"),
            upsellAttempts: count(eq(dialogueFacts.upsellAttempted, true)).as("upsell_attempts"),
            qualitySum: sql<number>`sum(${dialogueFacts.qualityScore})`.as("quality_sum"),
          })
          .from(dialogueFacts)
          .where(inArray(dialogueFacts.localDay, batch))
          .groupBy(dialogueFacts.localDay, dialogueFacts.localHour, dialogueFacts.pointId, dialogueFacts.registerId),
      );
      await tx.insert(analyticsDailyCategories).select(
        tx
          .select({
            localDay: dialogueFactCategories.localDay,
            pointId: dialogueFactCategories.pointId,
            registerId: dialogueFactCategories.registerId,
            category: dialogueFactCategories.category,
            offers: sql<number>`count(*)`.as("offers"),
            accepted: count(eq(dialogueFactCategories.accepted, true)).as("accepted"),
          })
          .from(dialogueFactCategories)
          .where(inArray(dialogueFactCategories.localDay, batch))
          .groupBy(dialogueFactCategories.localDay, dialogueFactCategories.pointId, dialogueFactCategories.registerId, dialogueFactCategories.category),
      );
    }
  }

  async function recomputeMonthlyHourly(tx: CoreDatabase, days: number[]): Promise<void> {
    const months = [...new Set(days.map((day) => Math.floor(day / 100)))];
    if (months.length === 0) return;
    const month = sql<number>`${analyticsHourly.localDay} / 100`;
    await tx.delete(analyticsMonthlyHourly).where(inArray(analyticsMonthlyHourly.localMonth, months));
    for (const localMonth of months)
      await tx.insert(analyticsMonthlyHourly).select(
        tx
          .select({
            localMonth: month.as("local_month"),
            localHour: analyticsHourly.localHour,
            pointId: analyticsHourly.pointId,
            registerId: analyticsHourly.registerId,
            dialogues: sql<number>`sum(${analyticsHourly.dialogues})`.as("dialogues"),
            upsellAttempts: sql<number>`sum(${analyticsHourly.upsellAttempts})`.as("upsell_attempts"),
            qualitySum: sql<number>`sum(${analyticsHourly.qualitySum})`.as("quality_sum"),
          })
          .from(analyticsHourly)
          .where(between(analyticsHourly.localDay, localMonth * 100 + 1, localMonth * 100 + 31))
          .groupBy(analyticsHourly.localHour, analyticsHourly.pointId, analyticsHourly.registerId),
      );
  }

  /** Analyses with what a fact needs from their dialogue and transcript, oldest first. */
  function analysesWith(tx: CoreDatabase, condition: SQL, limit?: number) {
    const query = tx
      .select({
        analysisId: dialogueAnalyses.id,
        dialogueId: dialogueAnalyses.dialogueId,
        transcriptId: dialogueAnalyses.transcriptId,
        upsellAttempted: dialogueAnalyses.upsellAttempted,
        customerReaction: dialogueAnalyses.customerReaction,
        qualityScore: dialogueAnalyses.qualityScore,
        pointId: dialogues.pointId,
        registerId: dialogues.registerId,
        startTs: dialogues.startTs,
        text: dialogueTranscripts.text,
      })
      .from(dialogueAnalyses)
      .innerJoin(dialogues, eq(dialogues.dialogueId, dialogueAnalyses.dialogueId))
      .innerJoin(dialogueTranscripts, eq(dialogueTranscripts.id, dialogueAnalyses.transcriptId))
      .where(condition)
      .orderBy(asc(dialogueAnalyses.id));
    return limit === undefined ? query : query.limit(limit);
  }
  type AnalysisWithDialogue = Awaited<ReturnType<typeof analysesWith>>[number];

  /** Search keys for facts starting at these times: the first free slot of each millisecond, skipping keys other dialogues hold. */
  async function searchKeysFor(tx: CoreDatabase, facts: Array<{ dialogueId: string; startTs: number }>): Promise<number[]> {
    const keys = facts.map((fact) => fact.startTs * searchSlots);
    const ownIds = new Set(facts.map((fact) => fact.dialogueId));
    for (;;) {
      const held = await tx.select({ searchKey: dialogueFacts.searchKey, dialogueId: dialogueFacts.dialogueId }).from(dialogueFacts).where(inArray(dialogueFacts.searchKey, [...new Set(keys)]));
      const taken = new Set(held.filter((row) => !ownIds.has(row.dialogueId)).map((row) => row.searchKey));
      const used = new Set<number>();
      let moved = false;
      for (let index = 0; index < keys.length; index++) {
        while (taken.has(keys[index]!) || used.has(keys[index]!)) {
          keys[index]! += 1;
          moved = true;
        }
        used.add(keys[index]!);
      }
      if (!moved) return keys;
    }
  }

  /** Writes the facts of these analyses (a later one of the same dialogue wins); returns the local days whose totals changed. */
  async function applyAnalyses(tx: CoreDatabase, calendar: LocalCalendar, rows: AnalysisWithDialogue[]): Promise<Set<number>> {
    const latest = new Map(rows.map((row) => [row.dialogueId, row]));
    const dialogueIds = [...latest.keys()];
    const days = new Set<number>();
    if (dialogueIds.length === 0) return days;
    const previous = await tx.select({ localDay: dialogueFacts.localDay, searchKey: dialogueFacts.searchKey }).from(dialogueFacts).where(inArray(dialogueFacts.dialogueId, dialogueIds));
    for (const row of previous) days.add(row.localDay);
    if (previous.length > 0) await tx.run(sql`DELETE FROM dialogue_search WHERE rowid IN (${sql.join(previous.map((row) => sql`${row.searchKey}`), sql`, `)})`);
    const offers = await tx
      .select({ analysisId: upsellOffers.analysisId, category: upsellOffers.category })
      .from(upsellOffers)
      .where(
        inArray(
          upsellOffers.analysisId,
          [...latest.values()].map((row) => row.analysisId),
        ),
      )
      .orderBy(asc(upsellOffers.analysisId), asc(upsellOffers.position));
    const categoriesOf = new Map<number, string[]>();
    for (const offer of offers) {
      const list = categoriesOf.get(offer.analysisId) ?? [];
      if (!list.includes(offer.category)) list.push(offer.category);
      categoriesOf.set(offer.analysisId, list);
    }
    const searchKeys = await searchKeysFor(tx, [...latest.values()]);
    const facts = [...latest.values()].map((row, index) => {
      const { day, hour } = calendar.localDayHourOf(row.startTs);
      days.add(day);
      return {
        dialogueId: row.dialogueId,
        analysisId: row.analysisId,
        transcriptId: row.transcriptId,
        searchKey: searchKeys[index]!,
        pointId: row.pointId,
        registerId: row.registerId,
        startTs: row.startTs,
        localDay: day,
        localHour: hour,
        upsellAttempted: row.upsellAttempted,
        accepted: row.customerReaction === "accepted",
        qualityScore: row.qualityScore,
        customerReaction: row.customerReaction,
        categories: (categoriesOf.get(row.analysisId) ?? []).join(","),
      };
    });
    await tx.delete(dialogueFactCategories).where(inArray(dialogueFactCategories.dialogueId, dialogueIds));
    await tx
      .insert(dialogueFacts)
      .values(facts)
      .onConflictDoUpdate({
        target: dialogueFacts.dialogueId,
        set: Object.fromEntries(
          Object.entries(dialogueFacts)
            .filter(([key]) => key !== "dialogueId" && key in facts[0]!)
            .map(([key, column]) => [key, sql.raw(`excluded.${(column as { name: string }).name}`)]),
        ),
      });
    const categoryRows = facts.flatMap((fact) =>
      (fact.categories ? fact.categories.split(",") : []).map((category) => ({ dialogueId: fact.dialogueId, category, pointId: fact.pointId, registerId: fact.registerId, localDay: fact.localDay, accepted: fact.accepted })),
    );
    for (let index = 0; index < categoryRows.length; index += 1000) await tx.insert(dialogueFactCategories).values(categoryRows.slice(index, index + 1000));
    for (let index = 0; index < facts.length; index += 200)
      await tx.run(sql`INSERT INTO dialogue_search(rowid, body) VALUES ${sql.join(facts.slice(index, index + 200).map((fact) => sql`(${fact.searchKey}, ${latest.get(fact.dialogueId)!.text})`), sql`, `)}`);
    return days;
  }

  async function applyNewAnalyses(tx: CoreDatabase, calendar: LocalCalendar, afterId: number): Promise<{ lastId: number; days: Set<number> } | null> {
    const rows = await analysesWith(tx, gt(dialogueAnalyses.id, afterId), refreshBatch);
    if (rows.length === 0) return null;
    return { lastId: rows[rows.length - 1]!.analysisId, days: await applyAnalyses(tx, calendar, rows) };
  }

  /** Facts a re-plan left behind: their old days are redone, and a dialogue that still exists gets its fact again at its new time and place. */
  async function applyStaleFacts(tx: CoreDatabase, calendar: LocalCalendar): Promise<Set<number> | null> {
    const stale = await tx.select().from(analyticsStaleFacts).limit(refreshBatch);
    if (stale.length === 0) return null;
    const dialogueIds = stale.map((row) => row.dialogueId);
    const days = await applyAnalyses(tx, calendar, await analysesWith(tx, inArray(dialogueAnalyses.dialogueId, dialogueIds)));
    for (const row of stale) days.add(row.localDay);
    await tx.delete(analyticsStaleFacts).where(inArray(analyticsStaleFacts.dialogueId, dialogueIds));
    return days;
  }

  let prepared = false;
  async function prepareDerivedTables(): Promise<void> {
    if (prepared) return;
    await db.run(createSearchTable);
    await db.run(createFactRemovedTrigger);
    await db.run(createDialogueMovedTrigger);
    prepared = true;
  }

  /** How many analyses the facts lag behind (all of them when they must be rebuilt), and whether re-plans left facts to redo. */
  async function backlogOf(calendar: LocalCalendar) {
    const state = (await db.select().from(analyticsState).where(eq(analyticsState.id, 1)))[0];
    const newest = (await db.select({ id: max(dialogueAnalyses.id) }).from(dialogueAnalyses))[0]?.id ?? 0;
    const rebuild = !state || state.timezone !== calendar.timezone || state.factsVersion !== analyticsFactsVersion;
    const lastId = rebuild ? 0 : state.lastAnalysisId;
    const stale = (await db.select({ dialogueId: analyticsStaleFacts.dialogueId }).from(analyticsStaleFacts).limit(1)).length > 0;
    return { rebuild, lastId, analyses: Math.max(0, newest - lastId), stale };
  }

  /**
   * Facts are applied in batches of their own transactions; the daily totals of every day touched and
   * the position reached are written together at the end, so a crash in between only makes the next
   * catch-up apply the same analyses again (applying one is idempotent).
   */
  async function catchUp(calendar: LocalCalendar, backlog: Awaited<ReturnType<typeof backlogOf>>, signal?: AbortSignal): Promise<void> {
    if (!backlog.rebuild && backlog.analyses === 0 && !backlog.stale) return;
    let lastId = backlog.lastId;
    if (backlog.rebuild) {
      await db.transaction(async (tx) => {
        // Without the trigger, emptying the facts is one truncation rather than a million index deletes.
        await tx.run(sql.raw(`DROP TRIGGER IF EXISTS ${factRemovedTrigger}`));
        await tx.delete(dialogueFacts);
        await tx.run(createFactRemovedTrigger);
        await tx.delete(analyticsStaleFacts);
        await tx.delete(analyticsDaily);
        await tx.delete(analyticsHourly);
        await tx.delete(analyticsMonthlyHourly);
        await tx.delete(analyticsDailyCategories);
        await tx.run(sql`DELETE FROM dialogue_search`);
      });
    }
    const touchedDays = new Set<number>();
    // Stopped between batches, the state stays where it was: the next catch-up applies those analyses again.
    for (;;) {
      if (signal?.aborted) return;
      const applied = await db.transaction((tx) => applyNewAnalyses(tx, calendar, lastId));
      if (!applied) break;
      for (const day of applied.days) touchedDays.add(day);
      lastId = applied.lastId;
    }
    for (;;) {
      if (signal?.aborted) return;
      const days = await db.transaction((tx) => applyStaleFacts(tx, calendar));
      if (!days) break;
      for (const day of days) touchedDays.add(day);
    }
    await db.transaction(async (tx) => {
      await recomputeRollups(tx, [...touchedDays]);
      await recomputeMonthlyHourly(tx, [...touchedDays]);
      await tx
        .insert(analyticsState)
        .values({ id: 1, timezone: calendar.timezone, lastAnalysisId: lastId, factsVersion: analyticsFactsVersion })
        .onConflictDoUpdate({ target: analyticsState.id, set: { timezone: calendar.timezone, lastAnalysisId: lastId, factsVersion: analyticsFactsVersion } });
    });
    // A large catch-up changes the shape of the tables: let SQLite refresh its planner statistics, and merge the
    // search index's many segments into one (a newest-first walk over a million transcripts runs ~6× faster).
    if (touchedDays.size > 30) {
      await db.run(sql`PRAGMA optimize`);
      await db.run(sql`INSERT INTO dialogue_search(dialogue_search) VALUES ('optimize')`);
    }
  }

  /** The catch-up running now, and whether it is known to be at most one batch of work. */
  /** The catch-up running now; `small` resolves once its backlog is known to be at most one batch (or not). */
  let running: { done: Promise<void>; small: Promise<boolean> } | null = null;
  function startCatchUp(calendar: LocalCalendar, onlyIfSmall: boolean, signal?: AbortSignal): NonNullable<typeof running> {
    if (running) return running;
    let sized: (small: boolean) => void = () => {};
    const small = new Promise<boolean>((resolve) => {
      sized = resolve;
    });
    const done = (async () => {
      await prepareDerivedTables();
      const backlog = await backlogOf(calendar);
      sized(backlog.analyses <= refreshBatch);
      if (backlog.analyses <= refreshBatch || !onlyIfSmall) await catchUp(calendar, backlog, signal);
    })().finally(() => {
      sized(false);
      running = null;
    });
    running = { done, small };
    return running;
  }

  return {
    /**
     * Brings the facts and their daily totals up to the newest analyses and re-plans (and rebuilds
     * them when the time zone or their shape changed). Cheap when nothing is new: three small reads.
     * An abort stops it between two batches.
     */
    async refresh(calendar: LocalCalendar, signal?: AbortSignal): Promise<void> {
      while (running) await running.done;
      await startCatchUp(calendar, false, signal).done;
    },

    /**
     * What a request does before it reads: catches up (or waits for the catch-up running) as long as
     * that is at most one batch of work; a larger backlog is the background refresh's, and the request
     * reads what is there meanwhile.
     */
    async refreshIfSmall(calendar: LocalCalendar): Promise<void> {
      const catchUp = startCatchUp(calendar, true);
      if (await catchUp.small) await catchUp.done;
      // A large one's failure is the background refresh's to report (it backs off and shows in /health).
      else catchUp.done.catch(() => {});
    },

    async totals(range: DayRange) {
      const rows = await db
        .select(summedDailyTotals())
        .from(analyticsDaily)
        .where(dayRangeCondition(analyticsDaily, range));
      return rows[0]!;
    },

    /** Per local hour: whole months from the monthly totals, the days before and after them from the daily ones. */
    async hourly(range: DayRange) {
      const monthOf = (day: number) => Math.floor(day / 100);
      const monthAfter = (month: number) => (month % 100 === 12 ? (Math.floor(month / 100) + 1) * 100 + 1 : month + 1);
      const monthBefore = (month: number) => (month % 100 === 1 ? (Math.floor(month / 100) - 1) * 100 + 12 : month - 1);
      const lastDayOf = (month: number) => addDays(monthAfter(month) * 100 + 1, -1);
      const firstMonth = range.fromDay % 100 === 1 ? monthOf(range.fromDay) : monthAfter(monthOf(range.fromDay));
      const lastMonth = range.toDay === lastDayOf(monthOf(range.toDay)) ? monthOf(range.toDay) : monthBefore(monthOf(range.toDay));
      const dayRanges: Array<[number, number]> = [];
      const parts = [];
      if (firstMonth <= lastMonth) {
        if (range.fromDay < firstMonth * 100 + 1) dayRanges.push([range.fromDay, addDays(firstMonth * 100 + 1, -1)]);
        if (range.toDay > lastDayOf(lastMonth)) dayRanges.push([monthAfter(lastMonth) * 100 + 1, range.toDay]);
        parts.push(
          db
            .select(summedHourlyTotals(analyticsMonthlyHourly))
            .from(analyticsMonthlyHourly)
            .where(and(between(analyticsMonthlyHourly.localMonth, firstMonth, lastMonth), ...placeConditions(analyticsMonthlyHourly, range)))
            .groupBy(analyticsMonthlyHourly.localHour),
        );
      } else dayRanges.push([range.fromDay, range.toDay]);
      for (const [fromDay, toDay] of dayRanges)
        parts.push(
          db
            .select(summedHourlyTotals(analyticsHourly))
            .from(analyticsHourly)
            .where(and(between(analyticsHourly.localDay, fromDay, toDay), ...placeConditions(analyticsHourly, range)))
            .groupBy(analyticsHourly.localHour),
        );
      const byHour = new Map<number, { hour: number; dialogues: number; upsellAttempts: number; qualitySum: number }>();
      for (const rows of await Promise.all(parts))
        for (const row of rows) {
          const sumSoFar = byHour.get(row.hour) ?? { hour: row.hour, dialogues: 0, upsellAttempts: 0, qualitySum: 0 };
          byHour.set(row.hour, { hour: row.hour, dialogues: sumSoFar.dialogues + row.dialogues, upsellAttempts: sumSoFar.upsellAttempts + row.upsellAttempts, qualitySum: sumSoFar.qualitySum + row.qualitySum });
        }
      return [...byHour.values()];
    },

    daily(range: DayRange) {
      return db
        .select({
          day: analyticsDaily.localDay,
          ...summedDailyTotals(),
        })
        .from(analyticsDaily)
        .where(dayRangeCondition(analyticsDaily, range))
        .groupBy(analyticsDaily.localDay)
        .orderBy(asc(analyticsDaily.localDay));
    },

    categories(range: DayRange) {
      return db
        .select({ category: analyticsDailyCategories.category, offers: total(analyticsDailyCategories.offers), accepted: total(analyticsDailyCategories.accepted) })
        .from(analyticsDailyCategories)
        .where(dayRangeCondition(analyticsDailyCategories, range))
        .groupBy(analyticsDailyCategories.category);
    },

    async qualityHistogram(range: DayRange): Promise<number[]> {
      const rows = await db
        .select(Object.fromEntries(qualityColumns.map((column, score) => [`q${score}`, total(column)])) as Record<string, SQL<number>>)
        .from(analyticsDaily)
        .where(dayRangeCondition(analyticsDaily, range));
      const row = rows[0] as Record<string, number>;
      return qualityColumns.map((_, score) => row[`q${score}`] ?? 0);
    },

    registers(range: DayRange) {
      return db
        .select({
          pointId: analyticsDaily.pointId,
          registerId: analyticsDaily.registerId,
          ...summedDailyTotals(),
        })
        .from(analyticsDaily)
        .where(dayRangeCondition(analyticsDaily, range))
        .groupBy(analyticsDaily.pointId, analyticsDaily.registerId)
        .orderBy(asc(analyticsDaily.pointId), asc(analyticsDaily.registerId));
    },

    /** One page of analysed dialogues with their analysis summary, keyset-paged by (sort key, id). */
    /**
     * One page of analysed dialogues with their analysis summary, keyset-paged by (sort key, id). A
     * search sorted by time walks the search index newest (or oldest) first within the period and
     * stops at the page's end, so its order within one millisecond is the search key's.
     */
    async listDialogues(filter: DialogueListFilter) {
      const conditions: SQL[] = [gte(dialogueFacts.startTs, filter.fromTs), lt(dialogueFacts.startTs, filter.toTs), ...placeConditions(dialogueFacts, filter)];
      const byTime = filter.sort.startsWith("time");
      const descending = filter.sort.endsWith("desc");
      if (filter.upsell !== undefined) conditions.push(eq(dialogueFacts.upsellAttempted, filter.upsell));
      if (!byTime && (filter.qualityMin !== undefined || filter.qualityMax !== undefined)) {
        // Scores are whole numbers 0–10: as a list, each one is a seek into the quality index already in page order.
        const scores = qualityColumns.map((_, score) => score).filter((score) => score >= (filter.qualityMin ?? 0) && score <= (filter.qualityMax ?? qualityColumns.length - 1));
        conditions.push(inArray(dialogueFacts.qualityScore, scores));
      } else {
        if (filter.qualityMin !== undefined) conditions.push(gte(dialogueFacts.qualityScore, filter.qualityMin));
        if (filter.qualityMax !== undefined) conditions.push(lte(dialogueFacts.qualityScore, filter.qualityMax));
      }
      if (filter.category !== undefined) {
        const category = filter.category;
        conditions.push(
          inArray(
            dialogueFacts.dialogueId,
            db.select({ id: dialogueFactCategories.dialogueId }).from(dialogueFactCategories).where(eq(dialogueFactCategories.category, category)),
          ),
        );
      }
      const columns = {
        dialogueId: dialogueFacts.dialogueId,
        pointId: dialogueFacts.pointId,
        registerId: dialogueFacts.registerId,
        startTs: dialogueFacts.startTs,
        endTs: dialogues.endTs,
        upsellAttempted: dialogueFacts.upsellAttempted,
        qualityScore: dialogueFacts.qualityScore,
        customerReaction: dialogueFacts.customerReaction,
        categories: dialogueFacts.categories,
        summary: dialogueAnalyses.summary,
      };
      const order = descending ? desc : asc;
      const beyond = descending ? lt : gt;

      if (filter.match !== undefined && byTime) {
        const searchConditions = [sql`${dialogueSearch} MATCH ${filter.match}`, gte(dialogueSearch.rowid, filter.fromTs * searchSlots), lt(dialogueSearch.rowid, filter.toTs * searchSlots)];
        if (filter.after) {
          const afterKey = (await db.select({ searchKey: dialogueFacts.searchKey }).from(dialogueFacts).where(eq(dialogueFacts.dialogueId, filter.after.dialogueId)))[0]?.searchKey ?? filter.after.startTs * searchSlots + (descending ? 0 : searchSlots - 1);
          searchConditions.push(beyond(dialogueSearch.rowid, afterKey));
        }
        return db
          .select(columns)
          .from(dialogueSearch)
          .innerJoin(dialogueFacts, eq(dialogueFacts.searchKey, dialogueSearch.rowid))
          .innerJoin(dialogues, eq(dialogues.dialogueId, dialogueFacts.dialogueId))
          .innerJoin(dialogueAnalyses, eq(dialogueAnalyses.id, dialogueFacts.analysisId))
          .where(and(...searchConditions, ...conditions))
          .orderBy(order(dialogueSearch.rowid))
          .limit(filter.limit);
      }

      if (filter.match !== undefined) conditions.push(sql`${dialogueFacts.searchKey} IN (SELECT rowid FROM dialogue_search WHERE dialogue_search MATCH ${filter.match})`);
      const key = byTime ? dialogueFacts.startTs : dialogueFacts.qualityScore;
      if (filter.after) {
        const { after } = filter;
        const byTimeThenId = or(beyond(dialogueFacts.startTs, after.startTs), and(eq(dialogueFacts.startTs, after.startTs), beyond(dialogueFacts.dialogueId, after.dialogueId)))!;
        conditions.push(byTime ? byTimeThenId : or(beyond(key, after.key), and(eq(key, after.key), byTimeThenId))!);
      }
      const orderBy = byTime ? [order(key), order(dialogueFacts.dialogueId)] : [order(key), order(dialogueFacts.startTs), order(dialogueFacts.dialogueId)];
      return db
        .select(columns)
        .from(dialogueFacts)
        .innerJoin(dialogues, eq(dialogues.dialogueId, dialogueFacts.dialogueId))
        .innerJoin(dialogueAnalyses, eq(dialogueAnalyses.id, dialogueFacts.analysisId))
        .where(and(...conditions))
        .orderBy(...orderBy)
        .limit(filter.limit);
    },

    async findTranscript(transcriptId: number) {
      return (await db.select().from(dialogueTranscripts).where(eq(dialogueTranscripts.id, transcriptId)))[0] ?? null;
    },

    async findDialoguePoint(dialogueId: string): Promise<string | null> {
      const rows = await db.select({ pointId: dialogues.pointId }).from(dialogues).where(eq(dialogues.dialogueId, dialogueId));
      return rows[0]?.pointId ?? null;
    },
  };
}

export type AnalyticsRepository = ReturnType<typeof createAnalyticsRepository>;
