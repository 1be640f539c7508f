import { describe, expect, test } from "bun:test";
import { startOfDayMs } from "./did-pools.ts";

describe("startOfDayMs", () => {
  test("is local midnight in the tenant's time zone", () => {
    const noonUtc = Date.UTC(2026, 0, 15, 12, 0, 0);
    expect(startOfDayMs(noonUtc, "UTC")).toBe(Date.UTC(2026, 0, 15));
    // New York is UTC-5 in January: its day began at 05:00 UTC.
    expect(startOfDayMs(noonUtc, "America/New_York")).toBe(Date.UTC(2026, 0, 15, 5));
    // 03:00 UTC is still the 14th in New York.
    expect(startOfDayMs(Date.UTC(2026, 0, 15, 3), "America/New_York")).toBe(Date.UTC(2026, 0, 14, 5));
    // In July New York is UTC-4.
    expect(startOfDayMs(Date.UTC(2026, 6, 15, 12), "America/New_York")).toBe(Date.UTC(2026, 6, 15, 4));
    expect(startOfDayMs(Date.UTC(2026, 0, 15, 12), "Asia/Kolkata")).toBe(Date.UTC(2026, 0, 14, 18, 30));
  });
});
