import { forbidden } from "../../shared/http/app-error.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import type { PointScope } from "./analytics.repository.ts";
import { addDays, formatLocalDate, type LocalCalendar } from "./local-time.ts";
import { createRecordersRepository, quarterHourMs } from "./recorders.repository.ts";

/** How many past local days teach the core a recorder's schedule. */
export const scheduleLearningDays = 7;
/** A recorder in its schedule that has sent nothing for this long is stale. */
export const staleAfterMs = 10 * 60_000;

/**
 * The core is not told a recorder's schedule (the Pi keeps its RA_SCHEDULE_* to itself), so it learns
 * one from what arrives: a local quarter hour of the day is in a recorder's schedule when the recorder
 * sent audio from it on any of the previous seven local days. Today's coverage is the audio recorded
 * in those quarter hours since local midnight against their length so far.
 */
export interface LearntSchedules {
  /** The time zone and local day the schedules were learnt for. */
  key: string;
  /** Each recorder's local quarter hours (0–95) in its schedule. */
  byRecorder: Map<string, Set<number>>;
}

/**
 * Learnt schedules change only with the local day, and learning one reads a week of chunks: they are
 * kept until the day (or the time zone) changes. A chunk of an earlier day that arrives late counts
 * from the next day on.
 */
export function createLearntSchedules(): { current: LearntSchedules | null } {
  return { current: null };
}

export async function getRecorders(
  deps: { db: CoreDatabase; clock: Clock; calendar: LocalCalendar; learntSchedules: { current: LearntSchedules | null } },
  scope: PointScope,
  query: { pointId?: string },
) {
  if (query.pointId && scope.kind === "points" && !scope.pointIds.includes(query.pointId)) throw forbidden("analytics.point_forbidden", `point ${query.pointId} is not among the points this account may see`);
  const repository = createRecordersRepository(deps.db);
  const { calendar } = deps;
  const now = deps.clock.now();
  const today = calendar.localDayHourOf(now).day;
  const todayStart = calendar.startOfDay(today);
  const learnedFrom = calendar.startOfDay(addDays(today, -scheduleLearningDays));
  const slotOf = (ts: number) => {
    const local = calendar.localDayHourOf(ts);
    return local.hour * 4 + Math.floor(local.minute / 15);
  };
  const recorders = await repository.recordersWithLastChunk(scope, query.pointId);
  const ids = recorders.map((recorder) => recorder.deviceId);
  const key = `${calendar.timezone} ${today}`;
  if (deps.learntSchedules.current?.key !== key) deps.learntSchedules.current = { key, byRecorder: new Map() };
  const schedules = deps.learntSchedules.current.byRecorder;
  const unknown = ids.filter((id) => !schedules.has(id));
  const [history, sinceMidnight] = await Promise.all([repository.chunkQuarters(unknown, learnedFrom, todayStart), repository.chunkQuarters(ids, todayStart, now)]);
  for (const id of unknown) schedules.set(id, new Set());
  for (const row of history) {
    const slots = schedules.get(row.deviceId)!;
    for (let ts = row.quarter * quarterHourMs; ts < Math.min(row.lastEndTs, todayStart); ts += quarterHourMs) slots.add(slotOf(ts));
  }
  const recordedToday = new Map<string, number>();
  for (const row of sinceMidnight) {
    const slots = schedules.get(row.deviceId);
    if (slots?.has(slotOf(Math.max(row.quarter * quarterHourMs, todayStart)))) recordedToday.set(row.deviceId, (recordedToday.get(row.deviceId) ?? 0) + row.recordedMs);
  }
  const firstQuarter = Math.floor(todayStart / quarterHourMs);
  const lastQuarter = Math.floor((now - 1) / quarterHourMs);
  return {
    timezone: calendar.timezone,
    date: formatLocalDate(today),
    now: isoTime(now),
    stale_after_seconds: staleAfterMs / 1000,
    recorders: recorders.map((recorder) => {
      const slots = schedules.get(recorder.deviceId) ?? new Set<number>();
      let scheduledMs = 0;
      for (let quarter = firstQuarter; quarter <= lastQuarter; quarter++) {
        const from = Math.max(quarter * quarterHourMs, todayStart);
        const to = Math.min((quarter + 1) * quarterHourMs, now);
        if (to > from && slots.has(slotOf(from))) scheduledMs += to - from;
      }
      const recordedMs = Math.min(recordedToday.get(recorder.deviceId) ?? 0, scheduledMs);
      // In schedule for the last ten minutes: a recorder whose window just opened is not stale yet.
      const inScheduleNow = slots.has(slotOf(now));
      const inScheduleThroughout = inScheduleNow && slots.has(slotOf(now - staleAfterMs));
      const silentMs = recorder.lastUploadAt === null ? null : now - recorder.lastUploadAt;
      return {
        device_id: recorder.deviceId,
        point_id: recorder.pointId,
        register_id: recorder.registerId,
        enabled: recorder.enabled,
        last_upload_at: isoTime(recorder.lastUploadAt),
        last_chunk: recorder.lastChunkStartTs === null ? null : { start_ts: isoTime(recorder.lastChunkStartTs), end_ts: isoTime(recorder.lastChunkEndTs) },
        schedule_known: slots.size > 0,
        scheduled_quarter_hours: slots.size,
        in_schedule_now: inScheduleNow,
        today: { scheduled_ms: scheduledMs, recorded_ms: recordedMs, coverage: scheduledMs === 0 ? null : Math.round((recordedMs / scheduledMs) * 10000) / 10000 },
        stale: recorder.enabled && inScheduleThroughout && (silentMs === null || silentMs >= staleAfterMs),
      };
    }),
  };
}
