/**
 * Date-time text whose parts must name a real moment: `Date.parse` silently rolls
 * "2026-02-30T10:00:00Z" over to 2 March and accepts "+99:99" offsets, so each part is checked.
 * Accepts "YYYY-MM-DD[ T]hh:mm:ss[.fraction][Z|±hh:mm|±hhmm]".
 */
const dateTimeParts = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-](\d{2}):?(\d{2}))?$/;

/** Why `text` is not a real calendar date and time, or null when it is (or is not in this form at all). */
export function impossibleDateTimeProblem(text: string): string | null {
  const match = dateTimeParts.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return `month ${match[2]} does not exist`;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return `day ${match[3]} does not exist in ${match[1]}-${match[2]} (it has ${daysInMonth} days)`;
  if (hour > 23 || minute > 59 || second > 59) return `time ${match[4]}:${match[5]}:${match[6]} does not exist`;
  if (match[8] !== undefined && (Number(match[8]) > 23 || Number(match[9]) > 59)) return `UTC offset ${match[7]} does not exist`;
  return null;
}
