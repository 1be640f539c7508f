/** Epoch milliseconds as an RFC 3339 UTC timestamp for JSON responses; null stays null. */
export function isoTime(epochMillis: number | null | undefined): string | null {
  return epochMillis === null || epochMillis === undefined ? null : new Date(epochMillis).toISOString();
}
