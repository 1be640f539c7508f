import { describe, expect, test } from "bun:test";
import { createFakeClock } from "../../shared/testing/fake-clock.ts";
import { createScheduleTicker } from "./schedule-loop.ts";
import { isWithinSchedule, localSecondOfDay, msUntilScheduleChange, parseDailySchedule } from "./schedule.ts";

// Times are given in UTC and checked in explicit zones, so the tests do not depend on the machine's.
const utc = (time: string, date = "2026-01-15") => Date.parse(`${date}T${time}Z`);
const day = parseDailySchedule("08:00", "22:00");
const night = parseDailySchedule("22:00", "06:00");

describe("daily schedule", () => {
  test("a day window includes its start and excludes its end", () => {
    expect(isWithinSchedule(day, utc("07:59:59"), "UTC")).toBe(false);
    expect(isWithinSchedule(day, utc("08:00:00"), "UTC")).toBe(true);
    expect(isWithinSchedule(day, utc("13:30:00"), "UTC")).toBe(true);
    expect(isWithinSchedule(day, utc("21:59:59"), "UTC")).toBe(true);
    expect(isWithinSchedule(day, utc("22:00:00"), "UTC")).toBe(false);
  });

  test("a window that crosses midnight records late evening and early morning", () => {
    expect(isWithinSchedule(night, utc("21:59:00"), "UTC")).toBe(false);
    expect(isWithinSchedule(night, utc("22:00:00"), "UTC")).toBe(true);
    expect(isWithinSchedule(night, utc("23:59:59"), "UTC")).toBe(true);
    expect(isWithinSchedule(night, utc("00:00:00"), "UTC")).toBe(true);
    expect(isWithinSchedule(night, utc("05:59:59"), "UTC")).toBe(true);
    expect(isWithinSchedule(night, utc("06:00:00"), "UTC")).toBe(false);
    expect(isWithinSchedule(night, utc("12:00:00"), "UTC")).toBe(false);
  });

  test("equal start and end record around the clock", () => {
    const always = parseDailySchedule("00:00", "00:00");
    for (const time of ["00:00:00", "06:00:00", "12:34:56", "23:59:59"]) expect(isWithinSchedule(always, utc(time), "UTC")).toBe(true);
    expect(msUntilScheduleChange(always, utc("12:00:00"), "UTC")).toBeNull();
  });

  test("the window is in the Pi's local time, not UTC", () => {
    // Belgrade is UTC+1 in January: 07:30 UTC is 08:30 there.
    expect(isWithinSchedule(day, utc("07:30:00"), "Europe/Belgrade")).toBe(true);
    expect(isWithinSchedule(day, utc("07:30:00"), "UTC")).toBe(false);
    expect(isWithinSchedule(day, utc("21:30:00"), "Europe/Belgrade")).toBe(false);
  });

  test("local 08:00 stays 08:00 across the daylight-saving change", () => {
    // Europe/Belgrade moves to UTC+2 on 2026-03-29: local 08:00 is 07:00 UTC before, 06:00 UTC after.
    expect(isWithinSchedule(day, utc("07:00:00", "2026-03-28"), "Europe/Belgrade")).toBe(true);
    expect(isWithinSchedule(day, utc("06:30:00", "2026-03-28"), "Europe/Belgrade")).toBe(false);
    expect(isWithinSchedule(day, utc("06:00:00", "2026-03-30"), "Europe/Belgrade")).toBe(true);
    expect(isWithinSchedule(day, utc("05:59:00", "2026-03-30"), "Europe/Belgrade")).toBe(false);
  });

  test("the time until the next edge counts to the closer of start and end", () => {
    expect(msUntilScheduleChange(day, utc("07:59:30"), "UTC")).toBe(30_000);
    expect(msUntilScheduleChange(day, utc("12:00:00"), "UTC")).toBe(10 * 3600_000);
    expect(msUntilScheduleChange(day, utc("22:00:00.250"), "UTC")).toBe(10 * 3600_000 - 250);
    expect(msUntilScheduleChange(night, utc("23:00:00"), "UTC")).toBe(7 * 3600_000);
  });

  test("exactly at an edge the next change is a day's distance of the other edge, never zero", () => {
    expect(msUntilScheduleChange(day, utc("08:00:00"), "UTC")).toBe(14 * 3600_000);
  });

  test("malformed times are refused", () => {
    expect(() => parseDailySchedule("8:00", "22:00")).toThrow("HH:MM");
    expect(() => parseDailySchedule("08:00", "24:00")).toThrow("HH:MM");
  });

  test("local seconds of the day follow the zone; without one, the system's local time", () => {
    expect(localSecondOfDay(utc("00:00:01"), "UTC")).toBe(1);
    expect(localSecondOfDay(utc("23:00:00"), "Europe/Belgrade")).toBe(0);
    const now = new Date(utc("13:14:15"));
    expect(localSecondOfDay(now.getTime())).toBe(now.getHours() * 3600 + now.getMinutes() * 60 + now.getSeconds());
  });
});

describe("schedule loop", () => {
  test("turns recording on inside the window and off at its end, exactly at the edge", async () => {
    const clock = createFakeClock(utc("21:59:58"));
    const applied: boolean[] = [];
    const ticker = createScheduleTicker({ schedule: day, clock, timeZone: "UTC", apply: (inSchedule) => applied.push(inSchedule) });
    const controller = new AbortController();
    const tick = ticker.tick(controller.signal);
    await clock.advance(0);
    expect(applied).toEqual([true]);
    expect(ticker.status()).toEqual({ inSchedule: true, nextChangeAt: utc("22:00:00") });
    await clock.advance(2_000);
    await tick;
    expect(applied).toEqual([true, false]);
    expect(ticker.status()).toEqual({ inSchedule: false, nextChangeAt: utc("08:00:00", "2026-01-16") });
  });

  test("far from an edge a check returns at once", async () => {
    const clock = createFakeClock(utc("12:00:00"));
    const applied: boolean[] = [];
    const ticker = createScheduleTicker({ schedule: day, clock, timeZone: "UTC", apply: (inSchedule) => applied.push(inSchedule) });
    expect(await ticker.tick(new AbortController().signal)).toBe("idle");
    expect(applied).toEqual([true]);
    expect(clock.pendingSleeps()).toBe(0);
  });
});
