/**
 * The daily recording window, in the Pi's local time. `start` is included, `end` is not; an end
 * before the start crosses midnight (22:00–06:00); equal times mean around the clock.
 */
export interface DailySchedule {
  startMinute: number;
  endMinute: number;
}

export function parseDailySchedule(start: string, end: string): DailySchedule {
  return { startMinute: minuteOfDay(start), endMinute: minuteOfDay(end) };
}

function minuteOfDay(time: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) throw new Error(`not a time of day (HH:MM): ${JSON.stringify(time)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Local wall-clock time of an instant, as seconds since local midnight (the system's zone by default). */
export function localSecondOfDay(epochMillis: number, timeZone?: string): number {
  if (timeZone === undefined) {
    // Date's own local-time getters: loading Intl's formatting data would cost the Pi megabytes.
    const date = new Date(epochMillis);
    return date.getHours() * 3600 + date.getMinutes() * 60 + date.getSeconds();
  }
  const parts = localTimeFormat(timeZone).formatToParts(new Date(epochMillis));
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return (value("hour") % 24) * 3600 + value("minute") * 60 + value("second");
}

export function isWithinSchedule(schedule: DailySchedule, epochMillis: number, timeZone?: string): boolean {
  if (schedule.startMinute === schedule.endMinute) return true;
  const minute = Math.floor(localSecondOfDay(epochMillis, timeZone) / 60);
  if (schedule.startMinute < schedule.endMinute) return minute >= schedule.startMinute && minute < schedule.endMinute;
  return minute >= schedule.startMinute || minute < schedule.endMinute;
}

/**
 * Milliseconds until the window next opens or closes, counted on the local clock; null for a
 * round-the-clock schedule. Across a daylight-saving change it can be off by the shift, so
 * callers check the schedule again when it elapses.
 */
export function msUntilScheduleChange(schedule: DailySchedule, epochMillis: number, timeZone?: string): number | null {
  if (schedule.startMinute === schedule.endMinute) return null;
  const second = localSecondOfDay(epochMillis, timeZone);
  const subSecond = ((epochMillis % 1000) + 1000) % 1000;
  const untilEdge = (minute: number) => {
    const seconds = (minute * 60 - second + 86_400) % 86_400;
    return (seconds === 0 ? 86_400 : seconds) * 1000 - subSecond;
  };
  return Math.min(untilEdge(schedule.startMinute), untilEdge(schedule.endMinute));
}

const formats = new Map<string, Intl.DateTimeFormat>();

function localTimeFormat(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    formats.set(timeZone, format);
  }
  return format;
}
