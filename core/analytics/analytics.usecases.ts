import { badRequest, forbidden, notFound } from "../../shared/http/app-error.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import type { AnalysisSettings } from "../pipeline/analysis/analysis-settings.ts";
import { getCurrentAnalysis } from "../pipeline/analysis/analysis.usecases.ts";
import { type AnalyticsRepository, createAnalyticsRepository, type DayRange, type DialogueListFilter, type DialogueSort, type PlaceFilter, type PointScope } from "./analytics.repository.ts";
import { addDays, createLocalCalendar, daysBetween, formatLocalDate, type LocalCalendar, parseLocalDate } from "./local-time.ts";

export interface AnalyticsDeps {
  db: CoreDatabase;
  calendar: LocalCalendar;
  settings: AnalysisSettings;
  repository: AnalyticsRepository;
}

export function createAnalyticsDeps(deps: { db: CoreDatabase; timezone: string; settings: AnalysisSettings }): AnalyticsDeps {
  return { db: deps.db, settings: deps.settings, calendar: createLocalCalendar(deps.timezone), repository: createAnalyticsRepository(deps.db) };
}

/** What a caller asked for: local dates as typed, optional place. */
export interface PeriodQuery {
  from: string;
  to: string;
  pointId?: string;
  registerId?: string;
}

const maxPeriodDays = 3 * 366;

/** Turns local dates into a day range, refusing what cannot be a period or lies outside the caller's points. */
export function periodOf(scope: PointScope, query: PeriodQuery): DayRange {
  const fromDay = parseLocalDate(query.from);
  const toDay = parseLocalDate(query.to);
  if (fromDay === null) throw badRequest("analytics.bad_date", `from must be a local date YYYY-MM-DD, got "${query.from}"`);
  if (toDay === null) throw badRequest("analytics.bad_date", `to must be a local date YYYY-MM-DD, got "${query.to}"`);
  if (fromDay > toDay) throw badRequest("analytics.bad_period", `from (${query.from}) is after to (${query.to})`);
  if (daysBetween(fromDay, toDay) >= maxPeriodDays) throw badRequest("analytics.period_too_long", `a period may span at most ${maxPeriodDays} days`);
  return { fromDay, toDay, ...placeOf(scope, query) };
}

function placeOf(scope: PointScope, query: { pointId?: string; registerId?: string }): PlaceFilter {
  if (query.pointId && scope.kind === "points" && !scope.pointIds.includes(query.pointId)) throw forbidden("analytics.point_forbidden", `point ${query.pointId} is not among the points this account may see`);
  return { scope, pointId: query.pointId, registerId: query.registerId };
}

function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10000) / 10000;
}

function average(sum: number, count: number): number | null {
  return count === 0 ? null : Math.round((sum / count) * 100) / 100;
}

function presentTotals(totals: { dialogues: number; upsellAttempts: number; accepted: number; qualitySum: number }) {
  return {
    dialogues: totals.dialogues,
    upsell_attempts: totals.upsellAttempts,
    upsell_rate: rate(totals.upsellAttempts, totals.dialogues),
    accepted: totals.accepted,
    average_quality: average(totals.qualitySum, totals.dialogues),
  };
}

function periodFields(range: DayRange) {
  return { from: formatLocalDate(range.fromDay), to: formatLocalDate(range.toDay) };
}

export async function getOverview(deps: AnalyticsDeps, scope: PointScope, query: PeriodQuery) {
  const range = periodOf(scope, query);
  await deps.repository.refreshIfSmall(deps.calendar);
  const length = daysBetween(range.fromDay, range.toDay) + 1;
  const previous = { ...range, fromDay: addDays(range.fromDay, -length), toDay: addDays(range.fromDay, -1) };
  const [current, before] = await Promise.all([deps.repository.totals(range), deps.repository.totals(previous)]);
  return { timezone: deps.calendar.timezone, ...periodFields(range), ...presentTotals(current), previous: { ...periodFields(previous), ...presentTotals(before) } };
}

export async function getHourly(deps: AnalyticsDeps, scope: PointScope, query: PeriodQuery) {
  const range = periodOf(scope, query);
  await deps.repository.refreshIfSmall(deps.calendar);
  const byHour = new Map((await deps.repository.hourly(range)).map((row) => [row.hour, row]));
  const hours = Array.from({ length: 24 }, (_, hour) => {
    const row = byHour.get(hour);
    return { hour, dialogues: row?.dialogues ?? 0, upsell_attempts: row?.upsellAttempts ?? 0, average_quality: row ? average(row.qualitySum, row.dialogues) : null };
  });
  return { timezone: deps.calendar.timezone, ...periodFields(range), hours };
}

export async function getDaily(deps: AnalyticsDeps, scope: PointScope, query: PeriodQuery) {
  const range = periodOf(scope, query);
  await deps.repository.refreshIfSmall(deps.calendar);
  const byDay = new Map((await deps.repository.daily(range)).map((row) => [row.day, row]));
  const days = [];
  for (let day = range.fromDay; day <= range.toDay; day = addDays(day, 1)) {
    const row = byDay.get(day);
    days.push({ date: formatLocalDate(day), ...presentTotals(row ?? { dialogues: 0, upsellAttempts: 0, accepted: 0, qualitySum: 0 }) });
  }
  return { timezone: deps.calendar.timezone, ...periodFields(range), days };
}

export async function getCategories(deps: AnalyticsDeps, scope: PointScope, query: PeriodQuery) {
  const range = periodOf(scope, query);
  await deps.repository.refreshIfSmall(deps.calendar);
  const rows = await deps.repository.categories(range);
  const known = new Map(deps.settings.categories.map((category) => [category.id, category.label]));
  const categories = rows
    .map((row) => ({ category: row.category, label: known.get(row.category) ?? null, offers: row.offers, accepted: row.accepted, acceptance_rate: rate(row.accepted, row.offers) }))
    .sort((a, b) => b.offers - a.offers || a.category.localeCompare(b.category));
  return { timezone: deps.calendar.timezone, ...periodFields(range), categories };
}

export async function getQualityHistogram(deps: AnalyticsDeps, scope: PointScope, query: PeriodQuery) {
  const range = periodOf(scope, query);
  await deps.repository.refreshIfSmall(deps.calendar);
  const counts = await deps.repository.qualityHistogram(range);
  return { timezone: deps.calendar.timezone, ...periodFields(range), buckets: counts.map((dialogues, score) => ({ score, dialogues })) };
}

export async function getPoints(deps: AnalyticsDeps, scope: PointScope, query: PeriodQuery) {
  const range = periodOf(scope, query);
  await deps.repository.refreshIfSmall(deps.calendar);
  const points = new Map<string, { totals: { dialogues: number; upsellAttempts: number; accepted: number; qualitySum: number }; registers: ReturnType<typeof presentTotals>[] }>();
  for (const row of await deps.repository.registers(range)) {
    const point = points.get(row.pointId) ?? { totals: { dialogues: 0, upsellAttempts: 0, accepted: 0, qualitySum: 0 }, registers: [] };
    point.totals.dialogues += row.dialogues;
    point.totals.upsellAttempts += row.upsellAttempts;
    point.totals.accepted += row.accepted;
    point.totals.qualitySum += row.qualitySum;
    point.registers.push({ register_id: row.registerId, ...presentTotals(row) } as ReturnType<typeof presentTotals>);
    points.set(row.pointId, point);
  }
  return {
    timezone: deps.calendar.timezone,
    ...periodFields(range),
    points: [...points].map(([pointId, point]) => ({ point_id: pointId, ...presentTotals(point.totals), registers: point.registers })),
  };
}

export interface DialogueListQuery extends PeriodQuery {
  upsell?: boolean;
  qualityMin?: number;
  qualityMax?: number;
  category?: string;
  q?: string;
  sort: DialogueSort;
  limit: number;
  cursor?: string;
}

/** The dialogues that match, one page at a time; `next_cursor` is null on the last page. */
export async function listAnalysedDialogues(deps: AnalyticsDeps, scope: PointScope, query: DialogueListQuery) {
  const range = periodOf(scope, query);
  if (query.qualityMin !== undefined && query.qualityMax !== undefined && query.qualityMin > query.qualityMax) throw badRequest("dialogues.bad_quality_range", "quality_min is above quality_max");
  const filter: DialogueListFilter = {
    ...range,
    fromTs: deps.calendar.startOfDay(range.fromDay),
    toTs: deps.calendar.startOfDay(addDays(range.toDay, 1)),
    upsell: query.upsell,
    qualityMin: query.qualityMin,
    qualityMax: query.qualityMax,
    category: query.category,
    match: query.q === undefined ? undefined : searchExpressionOf(query.q),
    sort: query.sort,
    limit: query.limit + 1,
    after: query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.sort),
  };
  await deps.repository.refreshIfSmall(deps.calendar);
  const rows = await deps.repository.listDialogues(filter);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > query.limit && last ? encodeCursor(query.sort, { key: query.sort.startsWith("time") ? last.startTs : last.qualityScore, startTs: last.startTs, dialogueId: last.dialogueId }) : null;
  return { rows: page, nextCursor };
}

/** Words of a search, each matched as typed (prefix-free, case- and diacritic-folded by the tokenizer). */
function searchExpressionOf(q: string): string {
  const words = q.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) throw badRequest("dialogues.bad_search", "q must contain at least one letter or digit");
  if (words.length > 32) throw badRequest("dialogues.bad_search", "q may contain at most 32 words");
  return words.map((word) => `"${word}"`).join(" ");
}

type CursorPosition = { key: number; startTs: number; dialogueId: string };

function encodeCursor(sort: DialogueSort, position: CursorPosition): string {
  return Buffer.from(JSON.stringify([sort, position.key, position.startTs, position.dialogueId])).toString("base64url");
}

function decodeCursor(cursor: string, sort: DialogueSort): CursorPosition {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && value.length === 4 && value[0] === sort && Number.isSafeInteger(value[1]) && Number.isSafeInteger(value[2]) && typeof value[3] === "string")
      return { key: value[1] as number, startTs: value[2] as number, dialogueId: value[3] };
  } catch {
    // falls through to the refusal below
  }
  throw badRequest("dialogues.bad_cursor", "cursor is not one this list returned for the same sort; start again without it");
}

/** A dialogue the caller may see, with the transcript its analysis was made from and the analysis. */
export async function getDialogueDetail(deps: AnalyticsDeps, scope: PointScope, dialogueId: string) {
  await requireVisibleDialogue(deps, scope, dialogueId);
  const { dialogue, analysis, offers } = await getCurrentAnalysis(deps, dialogueId);
  const transcript = await deps.repository.findTranscript(analysis.transcriptId);
  if (!transcript) throw notFound("transcripts.not_found", `dialogue ${dialogueId} has no transcript`);
  return { dialogue, transcript, analysis, offers };
}

export async function requireVisibleDialogue(deps: AnalyticsDeps, scope: PointScope, dialogueId: string): Promise<void> {
  const pointId = await deps.repository.findDialoguePoint(dialogueId);
  // A dialogue of a point the caller may not see does not exist for them.
  if (pointId === null || (scope.kind === "points" && !scope.pointIds.includes(pointId))) throw notFound("dialogues.not_found", `no dialogue ${dialogueId}`);
}
