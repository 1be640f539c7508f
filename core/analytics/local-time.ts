/**
 * Local calendar of the dashboard's time zone. Offsets are looked up once per UTC hour: every zone
 * in use changes its offset only on a whole UTC hour (or half hour, which the minute lookup covers).
 */
export interface LocalCalendar {
  timezone: string;
  /** Local day as yyyymmdd, local hour 0–23 and minute 0–59 of an instant. */
  localDayHourOf(ts: number): { day: number; hour: number; minute: number };
  /** The instant the local date (yyyymmdd) begins. */
  startOfDay(day: number): number;
}

const hourMs = 3_600_000;
const dayMs = 86_400_000;

export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export function createLocalCalendar(timezone: string): LocalCalendar {
  const format = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  const offsets = new Map<number, number>();
  const offsetAt = (ts: number): number => {
    const key = Math.floor(ts / (hourMs / 2));
    let offset = offsets.get(key);
    if (offset === undefined) {
      const parts = Object.fromEntries(format.formatToParts(key * (hourMs / 2)).map((part) => [part.type, part.value]));
      const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
      offset = asUtc - key * (hourMs / 2);
      offsets.set(key, offset);
    }
    return offset;
  };
  return {
    timezone,
    localDayHourOf(ts) {
      const local = new Date(ts + offsetAt(ts));
      return { day: local.getUTCFullYear() * 10000 + (local.getUTCMonth() + 1) * 100 + local.getUTCDate(), hour: local.getUTCHours(), minute: local.getUTCMinutes() };
    },
    startOfDay(day) {
      const asUtc = utcMidnightOf(day);
      // Two passes: the offset at local midnight may differ from the offset at UTC midnight.
      const guess = asUtc - offsetAt(asUtc);
      return asUtc - offsetAt(guess);
    },
  };
}

function utcMidnightOf(day: number): number {
  return Date.UTC(Math.floor(day / 10000), (Math.floor(day / 100) % 100) - 1, day % 100);
}

/** yyyymmdd of "YYYY-MM-DD", or null when it is not a real date. */
export function parseLocalDate(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return year * 10000 + month * 100 + day;
}

export function formatLocalDate(day: number): string {
  return `${String(Math.floor(day / 10000)).padStart(4, "0")}-${String(Math.floor(day / 100) % 100).padStart(2, "0")}-${String(day % 100).padStart(2, "0")}`;
}

export function addDays(day: number, days: number): number {
  const date = new Date(utcMidnightOf(day) + days * dayMs);
  return date.getUTCFullYear() * 10000 + (date.getUTCMonth() + 1) * 100 + date.getUTCDate();
}

export function daysBetween(from: number, to: number): number {
  return Math.round((utcMidnightOf(to) - utcMidnightOf(from)) / dayMs);
}
