import { afterEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { speechSegments } from "../pipeline/vad/vad.schema.ts";
import { dialogueSegments } from "../pipeline/dialogues/dialogues.schema.ts";
import { dialogueAnalyses } from "../pipeline/analysis/analysis.schema.ts";
import { speechChunk } from "../testing/test-audio.ts";
import { addOperator, logIn } from "../../shared/accounts/accounts.usecases.ts";
import { sessionCookieNameOf } from "../../shared/accounts/operator-session.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { createCoreAccounts } from "../operators/operator-accounts.ts";
import { createTestCore, type TestCore, testAdminToken } from "../testing/core-test-app.ts";
import type { PointScope } from "./analytics.repository.ts";
import { asc } from "drizzle-orm";
import { createIngestRepository } from "../ingest/ingest.repository.ts";
import { dialogues } from "../pipeline/dialogues/dialogues.schema.ts";
import { applyVadResult } from "../pipeline/vad/vad.usecases.ts";
import { startAnalyticsRefresh } from "./analytics-refresh.ts";
import { analyticsDaily, analyticsState } from "./analytics.schema.ts";
import { type AnalysedDialogueFixture, insertAnalysedDialogue, insertAnalysis } from "./analytics.testing.ts";
import { createAnalyticsDeps, getDialogueDetail, getOverview, listAnalysedDialogues } from "./analytics.usecases.ts";

const timezone = "Europe/Belgrade";
const localFormat = new Intl.DateTimeFormat("sv-SE", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23" });
/** "YYYY-MM-DD" and hour of an instant in Belgrade, as the browser's own Intl computes them. */
function belgrade(ts: number): { date: string; hour: number } {
  const [date, hour] = localFormat.format(ts).split(" ");
  return { date: date!, hour: Number(hour) };
}

let core: TestCore;
afterEach(() => core?.dispose());

async function json(path: string): Promise<{ status: number; body: any }> {
  const response = await core.admin(path);
  return { status: response.status, body: await response.json() };
}

/** A seeded spread of dialogues over two points, two registers each, across two periods. */
function fixtureSet(points: string[][]): AnalysedDialogueFixture[] {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const reactions = ["accepted", "declined", "considering", "no_reaction", "not_applicable"] as const;
  const start = Date.UTC(2026, 4, 1, 0, 0);
  return Array.from({ length: 120 }, (_, index) => {
    const point = points[index % points.length]!;
    const upsell = random() < 0.6;
    const categories = upsell ? (random() < 0.5 ? ["warranty"] : ["warranty", "accessory"]) : [];
    return {
      pointId: point[0]!,
      registerId: point[1 + (index % 2)]!,
      // Across 2026-05-01 … 2026-05-20 in UTC, so local days and the UTC/local edge both occur.
      startTs: start + Math.floor(random() * 20 * 86_400_000),
      upsell,
      reaction: upsell ? reactions[Math.floor(random() * 4)]! : "not_applicable",
      quality: Math.floor(random() * 11),
      offers: categories.map((category) => ({ category, quote: category === "warranty" ? "гарантию" : "чехол" })),
      text: "Добрый день. Хотите гарантию и чехол к телефону?",
    };
  });
}

function expectedTotals(rows: AnalysedDialogueFixture[], from: string, to: string) {
  const inside = rows.filter((row) => belgrade(row.startTs).date >= from && belgrade(row.startTs).date <= to);
  const upsell = inside.filter((row) => row.upsell).length;
  const quality = inside.reduce((sum, row) => sum + row.quality, 0);
  return {
    dialogues: inside.length,
    upsell_attempts: upsell,
    upsell_rate: inside.length === 0 ? null : Math.round((upsell / inside.length) * 10000) / 10000,
    accepted: inside.filter((row) => row.reaction === "accepted").length,
    average_quality: inside.length === 0 ? null : Math.round((quality / inside.length) * 100) / 100,
  };
}

describe("analytics overview and charts", () => {
  test("overview, daily, points, categories and quality equal figures computed from the fixture", async () => {
    core = await createTestCore();
    const places = [[randomUUID(), randomUUID(), randomUUID()], [randomUUID(), randomUUID(), randomUUID()]];
    const rows = fixtureSet(places);
    for (const row of rows) await insertAnalysedDialogue(core.database.db, row);

    const overview = await json("/api/v1/analytics/overview?from=2026-05-11&to=2026-05-20");
    expect(overview.status).toBe(200);
    const { previous, ...current } = overview.body;
    expect(current).toEqual({ timezone, from: "2026-05-11", to: "2026-05-20", ...expectedTotals(rows, "2026-05-11", "2026-05-20") });
    expect(previous).toEqual({ from: "2026-05-01", to: "2026-05-10", ...expectedTotals(rows, "2026-05-01", "2026-05-10") });
    expect(current.dialogues).toBeGreaterThan(20);

    const point = places[1]!;
    const onePoint = await json(`/api/v1/analytics/overview?from=2026-05-11&to=2026-05-20&point_id=${point[0]}`);
    expect(onePoint.body.dialogues).toBe(expectedTotals(rows.filter((row) => row.pointId === point[0]), "2026-05-11", "2026-05-20").dialogues);
    const oneRegister = await json(`/api/v1/analytics/overview?from=2026-05-01&to=2026-05-20&register_id=${point[2]}`);
    expect(oneRegister.body.dialogues).toBe(rows.filter((row) => row.registerId === point[2] && belgrade(row.startTs).date >= "2026-05-01" && belgrade(row.startTs).date <= "2026-05-20").length);

    const daily = await json("/api/v1/analytics/daily?from=2026-05-01&to=2026-05-20");
    expect(daily.body.days).toHaveLength(20);
    for (const day of daily.body.days) expect(day).toEqual({ date: day.date, ...expectedTotals(rows, day.date, day.date) });

    const hourly = await json("/api/v1/analytics/hourly?from=2026-05-01&to=2026-05-20");
    expect(hourly.body.hours).toHaveLength(24);
    for (const entry of hourly.body.hours) {
      const inHour = rows.filter((row) => belgrade(row.startTs).hour === entry.hour && belgrade(row.startTs).date >= "2026-05-01" && belgrade(row.startTs).date <= "2026-05-20");
      expect([entry.dialogues, entry.upsell_attempts]).toEqual([inHour.length, inHour.filter((row) => row.upsell).length]);
    }

    // Whole months come from the monthly totals, the days around them from the daily ones.
    for (const [from, to] of [["2026-04-15", "2026-06-10"], ["2026-05-01", "2026-05-31"], ["2026-05-10", "2026-05-31"], ["2025-12-31", "2026-05-12"]] as const) {
      const spanning = await json(`/api/v1/analytics/hourly?from=${from}&to=${to}`);
      const expectedHours = Array.from({ length: 24 }, (_, hour) => rows.filter((row) => belgrade(row.startTs).hour === hour && belgrade(row.startTs).date >= from && belgrade(row.startTs).date <= to).length);
      expect([from, to, spanning.body.hours.map((entry: { dialogues: number }) => entry.dialogues)]).toEqual([from, to, expectedHours]);
    }

    const inPeriod = rows.filter((row) => belgrade(row.startTs).date >= "2026-05-01" && belgrade(row.startTs).date <= "2026-05-20");
    const quality = await json("/api/v1/analytics/quality?from=2026-05-01&to=2026-05-20");
    expect(quality.body.buckets.map((bucket: { dialogues: number }) => bucket.dialogues)).toEqual(Array.from({ length: 11 }, (_, score) => inPeriod.filter((row) => row.quality === score).length));

    const categories = await json("/api/v1/analytics/categories?from=2026-05-01&to=2026-05-20");
    const warranty = categories.body.categories.find((entry: { category: string }) => entry.category === "warranty");
    const offeredWarranty = inPeriod.filter((row) => row.offers?.some((offer) => offer.category === "warranty"));
    expect(warranty).toMatchObject({ label: { ru: "Гарантия и страховка", en: "Warranty and insurance" }, offers: offeredWarranty.length, accepted: offeredWarranty.filter((row) => row.reaction === "accepted").length });

    const points = await json("/api/v1/analytics/points?from=2026-05-01&to=2026-05-20");
    expect(points.body.points).toHaveLength(2);
    for (const entry of points.body.points) {
      expect(entry.dialogues).toBe(inPeriod.filter((row) => row.pointId === entry.point_id).length);
      expect(entry.registers.reduce((sum: number, register: { dialogues: number }) => sum + register.dialogues, 0)).toBe(entry.dialogues);
    }

    // A later analysis pass replaces the earlier one in every figure.
    expect((await json("/api/v1/analytics/overview?from=2026-05-01&to=2026-05-20")).body.dialogues).toBe(inPeriod.length);
  });

  test("days and hours are local across both 2026 daylight-saving changes in Belgrade", async () => {
    core = await createTestCore();
    const [pointId, registerId] = [randomUUID(), randomUUID()];
    const at = async (iso: string) => await insertAnalysedDialogue(core.database.db, { pointId, registerId, startTs: Date.parse(iso), upsell: true, reaction: "accepted", quality: 5, text: "x" });
    await at("2026-03-28T22:59:00Z"); // 23:59 on the 28th (CET)
    await at("2026-03-28T23:30:00Z"); // 00:30 on the 29th
    await at("2026-03-29T01:30:00Z"); // 03:30 CEST: 02:00–03:00 never happened
    await at("2026-03-29T21:59:00Z"); // 23:59 CEST on the 29th
    await at("2026-03-29T22:00:00Z"); // 00:00 on the 30th
    await at("2026-10-25T00:30:00Z"); // 02:30 CEST, the first 02:30
    await at("2026-10-25T01:30:00Z"); // 02:30 CET, the second
    await at("2026-10-25T22:30:00Z"); // 23:30 CET on the 25th
    await at("2026-10-25T23:00:00Z"); // 00:00 on the 26th

    const spring = await json("/api/v1/analytics/hourly?from=2026-03-29&to=2026-03-29");
    expect(spring.body.hours.filter((hour: { dialogues: number }) => hour.dialogues > 0).map((hour: { hour: number; dialogues: number }) => [hour.hour, hour.dialogues])).toEqual([
      [0, 1],
      [3, 1],
      [23, 1],
    ]);
    const autumn = await json("/api/v1/analytics/hourly?from=2026-10-25&to=2026-10-25");
    expect(autumn.body.hours.filter((hour: { dialogues: number }) => hour.dialogues > 0).map((hour: { hour: number; dialogues: number }) => [hour.hour, hour.dialogues])).toEqual([
      [2, 2],
      [23, 1],
    ]);
    const daily = await json("/api/v1/analytics/daily?from=2026-03-28&to=2026-03-30");
    expect(daily.body.days.map((day: { date: string; dialogues: number }) => [day.date, day.dialogues])).toEqual([
      ["2026-03-28", 1],
      ["2026-03-29", 3],
      ["2026-03-30", 1],
    ]);
    expect((await json("/api/v1/analytics/overview?from=2026-10-25&to=2026-10-25")).body.dialogues).toBe(3);
    // The list's bounds are local midnights too: 23 hours in March, 25 in October.
    expect((await json("/api/v1/dialogues?from=2026-03-29&to=2026-03-29")).body.dialogues).toHaveLength(3);
    expect((await json("/api/v1/dialogues?from=2026-10-25&to=2026-10-25")).body.dialogues).toHaveLength(3);
    expect((await json("/api/v1/dialogues?from=2026-10-26&to=2026-10-26")).body.dialogues).toHaveLength(1);
  });

  test("the background refresh builds the facts and day totals before any request asks", async () => {
    core = await createTestCore();
    const rows = fixtureSet([[randomUUID(), randomUUID(), randomUUID()]]);
    for (const row of rows) await insertAnalysedDialogue(core.database.db, row);
    const newest = Math.max(...(await core.database.db.select({ id: dialogueAnalyses.id }).from(dialogueAnalyses)).map((row) => row.id));
    expect(await core.database.db.select().from(analyticsState)).toEqual([]);
    const controller = new AbortController();
    const loop = startAnalyticsRefresh({ analytics: core.deps.analytics, clock: core.clock, logger: silentLogger }, controller.signal);
    for (let attempt = 0; (await core.database.db.select().from(analyticsState))[0]?.lastAnalysisId !== newest; attempt++) {
      if (attempt > 400) throw new Error("the background refresh never caught up");
      await Bun.sleep(25);
    }
    controller.abort();
    await loop.stopped;
    expect(loop.state()).toMatchObject({ name: "analytics-refresh", consecutiveFailures: 0, running: false });
    const daily = await core.database.db.select().from(analyticsDaily);
    expect(daily.reduce((sum, row) => sum + row.dialogues, 0)).toBe(rows.length);
    expect(daily.reduce((sum, row) => sum + row.qualitySum, 0)).toBe(rows.reduce((sum, row) => sum + row.quality, 0));
  });

  test("a request leaves a backlog larger than one batch to the background refresh and reads what is built", async () => {
    core = await createTestCore();
    const base = { pointId: randomUUID(), registerId: randomUUID(), upsell: true, reaction: "accepted", quality: 7, text: "x" } as const;
    for (let index = 0; index < 1001; index++) await insertAnalysedDialogue(core.database.db, { ...base, startTs: Date.parse("2026-05-02T08:00:00Z") + index * 1000 });
    const period = "from=2026-05-02&to=2026-05-02";
    expect((await json(`/api/v1/analytics/overview?${period}`)).body).toMatchObject({ dialogues: 0 });
    expect((await json(`/api/v1/dialogues?${period}`)).body.dialogues).toEqual([]);
    await core.deps.analytics.repository.refresh(core.deps.analytics.calendar);
    expect((await json(`/api/v1/analytics/overview?${period}`)).body).toMatchObject({ dialogues: 1001, upsell_attempts: 1001, accepted: 1001, average_quality: 7 });
    await insertAnalysedDialogue(core.database.db, { ...base, startTs: Date.parse("2026-05-02T20:00:00Z"), quality: 3 });
    expect((await json(`/api/v1/analytics/overview?${period}`)).body).toMatchObject({ dialogues: 1002 });
  });

  test("another DASHBOARD_TIMEZONE moves days and hours", async () => {
    core = await createTestCore({ DASHBOARD_TIMEZONE: "America/New_York" });
    await insertAnalysedDialogue(core.database.db, { pointId: randomUUID(), registerId: randomUUID(), startTs: Date.parse("2026-05-02T02:00:00Z"), upsell: false, reaction: "not_applicable", quality: 3, text: "x" });
    const hourly = await json("/api/v1/analytics/hourly?from=2026-05-01&to=2026-05-01");
    expect(hourly.body.timezone).toBe("America/New_York");
    expect(hourly.body.hours[22].dialogues).toBe(1);
  });

  test("bad periods are refused with precise codes", async () => {
    core = await createTestCore();
    const cases: Array<[string, string]> = [
      ["/api/v1/analytics/overview?from=2026-02-30&to=2026-03-01", "analytics.bad_date"],
      ["/api/v1/analytics/overview?from=2026-3-1&to=2026-03-01", "analytics.bad_date"],
      ["/api/v1/analytics/daily?from=2026-03-02&to=2026-03-01", "analytics.bad_period"],
      ["/api/v1/analytics/hourly?from=2020-01-01&to=2026-03-01", "analytics.period_too_long"],
      ["/api/v1/analytics/points?to=2026-03-01", "request.invalid"],
      ["/api/v1/analytics/categories?from=2026-03-01&to=2026-03-01&point_id=not-a-uuid", "request.invalid"],
      ["/api/v1/dialogues?from=2026-03-01&to=2026-03-01&cursor=bm9wZQ", "dialogues.bad_cursor"],
      ["/api/v1/dialogues?from=2026-03-01&to=2026-03-01&upsell=maybe", "request.invalid"],
      ["/api/v1/dialogues?from=2026-03-01&to=2026-03-01&quality_min=7&quality_max=3", "dialogues.bad_quality_range"],
      ["/api/v1/dialogues?from=2026-03-01&to=2026-03-01&q=%22%2A%22", "dialogues.bad_search"],
      ["/api/v1/dialogues.csv?from=2026-03-02&to=2026-03-01", "analytics.bad_period"],
    ];
    for (const [path, code] of cases) {
      const { status, body } = await json(path);
      expect([path, status, body.error.code]).toEqual([path, 400, code]);
    }
    const unknown = await json(`/api/v1/dialogues/${randomUUID()}`);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "dialogues.not_found"]);
    const unknownAudio = await json(`/api/v1/dialogues/${randomUUID()}/audio`);
    expect([unknownAudio.status, unknownAudio.body.error.code]).toEqual([404, "dialogues.not_found"]);
  });

  test("no token, a wrong token and a device token are refused on every route", async () => {
    core = await createTestCore();
    const device = await core.registerDevice();
    const id = await insertAnalysedDialogue(core.database.db, { pointId: device.pointId, registerId: device.registerId, startTs: Date.parse("2026-05-02T10:00:00Z"), upsell: false, reaction: "not_applicable", quality: 3, text: "x" });
    const period = "from=2026-05-01&to=2026-05-03";
    const paths = [
      ...["overview", "hourly", "daily", "categories", "quality", "points"].map((name) => `/api/v1/analytics/${name}?${period}`),
      `/api/v1/dialogues?${period}`,
      `/api/v1/dialogues.csv?${period}`,
      `/api/v1/dialogues/${id}`,
      `/api/v1/dialogues/${id}/audio`,
    ];
    let caller = 0;
    for (const path of paths) {
      for (const [headers, code] of [
        [{}, "auth.missing_token"],
        [{ authorization: `Bearer ${testAdminToken}x` }, "auth.invalid_token"],
        [{ authorization: `Bearer ${device.token}` }, "auth.invalid_token"],
      ] as const) {
        // Each refusal from its own address: repeated failures from one address are throttled.
        const response = await core.app.request(path, { headers }, { remoteAddress: `198.51.100.${++caller}` });
        expect([path, response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([path, 401, code]);
      }
    }
  });
});

describe("analysed dialogues", () => {
  test("filters, sorts and pages without a cap, and searches Russian and English transcripts", async () => {
    core = await createTestCore();
    const places = [[randomUUID(), randomUUID(), randomUUID()], [randomUUID(), randomUUID(), randomUUID()]];
    const rows = fixtureSet(places);
    rows[3] = { ...rows[3]!, text: "Покупатель: а ДЕСЕРТ есть? Продавец: да, возьмите десерт.", offers: [] };
    rows[4] = { ...rows[4]!, text: "Would you like a crème brûlée with that?", offers: [] };
    for (const row of rows) row.dialogueId = await insertAnalysedDialogue(core.database.db, row);
    const period = "from=2026-05-01&to=2026-05-20";
    const inPeriod = rows.filter((row) => belgrade(row.startTs).date >= "2026-05-01" && belgrade(row.startTs).date <= "2026-05-20");

    const collect = async (query: string) => {
      const seen: any[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: any } = await json(`/api/v1/dialogues?${period}&limit=7${query}${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...page.body.dialogues);
        cursor = page.body.next_cursor;
      } while (cursor);
      return seen;
    };
    const all = await collect("");
    expect(all.map((row) => row.dialogue_id).sort()).toEqual(inPeriod.map((row) => row.dialogueId).sort());
    expect(all.map((row) => row.start_ts)).toEqual([...all.map((row) => row.start_ts)].sort().reverse());

    const byQuality = await collect("&sort=quality_asc&upsell=true&quality_min=3&quality_max=8");
    const expected = inPeriod.filter((row) => row.upsell && row.quality >= 3 && row.quality <= 8);
    expect(byQuality.map((row) => row.dialogue_id).sort()).toEqual(expected.map((row) => row.dialogueId).sort());
    expect(byQuality.map((row) => row.quality_score)).toEqual(expected.map((row) => row.quality).sort((a, b) => a - b));
    const sample = byQuality[0];
    const source = rows.find((row) => row.dialogueId === sample.dialogue_id)!;
    expect(sample).toMatchObject({ upsell_attempted: true, quality_score: source.quality, customer_reaction: source.reaction, categories: source.offers!.map((offer) => offer.category), summary: "fixture summary" });

    const accessories = await collect(`&category=accessory&point_id=${places[0]![0]}`);
    expect(accessories.map((row) => row.dialogue_id).sort()).toEqual(inPeriod.filter((row) => row.pointId === places[0]![0] && row.offers?.some((offer) => offer.category === "accessory")).map((row) => row.dialogueId).sort());
    const noUpsell = await collect(`&upsell=false&register_id=${places[1]![2]}`);
    expect(noUpsell.length).toBe(inPeriod.filter((row) => !row.upsell && row.registerId === places[1]![2]).length);

    const inside = (row: AnalysedDialogueFixture) => inPeriod.includes(row);
    const dessert = await json(`/api/v1/dialogues?${period}&q=${encodeURIComponent("десерт")}`);
    expect(dessert.body.dialogues.map((row: { dialogue_id: string }) => row.dialogue_id)).toEqual(inside(rows[3]!) ? [rows[3]!.dialogueId] : []);
    const creme = await json(`/api/v1/dialogues?from=2026-04-01&to=2026-05-31&q=${encodeURIComponent("CREME brulee")}`);
    expect(creme.body.dialogues.map((row: { dialogue_id: string }) => row.dialogue_id)).toEqual([rows[4]!.dialogueId]);
    const warranty = inPeriod.filter((row) => row.text.includes("гарантию")).map((row) => row.dialogueId).sort();
    for (const sort of ["time_desc", "time_asc", "quality_desc"]) {
      const found = await collect(`&q=${encodeURIComponent("гарантию")}&sort=${sort}`);
      expect(found.map((row) => row.dialogue_id).sort()).toEqual(warranty);
      const keys = found.map((row) => (sort === "quality_desc" ? row.quality_score : Date.parse(row.start_ts)));
      expect(keys).toEqual([...keys].sort((a, b) => (sort === "time_asc" ? a - b : b - a)));
    }
    const both = await json(`/api/v1/dialogues?from=2026-04-01&to=2026-05-31&q=${encodeURIComponent("гарантию чехол")}`);
    expect(both.body.dialogues.length).toBe(Math.min(50, rows.filter((row) => row.text.includes("гарантию")).length));

    const csv = await core.admin(`/api/v1/dialogues.csv?${period}&upsell=true`);
    expect(csv.headers.get("content-type")).toStartWith("text/csv");
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("dialogue_id,point_id,register_id,start_ts,end_ts,upsell_attempted,quality_score,categories,customer_reaction,summary");
    expect(lines.slice(1).map((line) => line.split(",")[0]).sort()).toEqual(inPeriod.filter((row) => row.upsell).map((row) => row.dialogueId).sort());
  });

  test("a dialogue's detail: transcript with timing, the analysis, and quotes at their offsets; markup stays data", async () => {
    core = await createTestCore();
    const text = `Продавец: <script>alert(1)</script> Хотите гарантию? "><img src=x onerror=alert(2)> Покупатель: да, беру гарантию.`;
    const fixture: AnalysedDialogueFixture = { pointId: randomUUID(), registerId: randomUUID(), startTs: Date.parse("2026-05-02T10:00:00Z"), upsell: true, reaction: "accepted", quality: 8, text, offers: [{ category: "warranty", quote: "Хотите гарантию?" }], summary: "<b>sold</b>" };
    const id = await insertAnalysedDialogue(core.database.db, fixture);
    const response = await core.admin(`/api/v1/dialogues/${id}`);
    expect(response.headers.get("content-type")).toStartWith("application/json");
    const body = (await response.json()) as any;
    expect(body.transcript.text).toBe(text);
    expect(body.transcript.segments).toEqual([{ start_ms: 0, end_ms: 40_000, text }]);
    expect(body.analysis).toMatchObject({ upsell_attempted: true, customer_reaction: "accepted", quality_score: 8, rubric: "fixture rubric", quality_rationale: "fixture rationale", summary: "<b>sold</b>" });
    const quote = body.analysis.offers[0].quote;
    expect(body.analysis.offers[0].category_label).toBe("Гарантия и страховка");
    expect(body.analysis.offers[0].category_labels).toEqual({ ru: "Гарантия и страховка", en: "Warranty and insurance" });
    expect(body.transcript.text.slice(quote.start, quote.end)).toBe(quote.text);
    expect(quote.text).toBe("Хотите гарантию?");
  });

  test("a caller limited to some points sees neither the figures, the list nor the detail of another point", async () => {
    core = await createTestCore();
    const [mine, theirs] = [randomUUID(), randomUUID()];
    const base = { registerId: randomUUID(), startTs: Date.parse("2026-05-02T10:00:00Z"), upsell: true, reaction: "accepted", quality: 8, text: "x" } as const;
    const myId = await insertAnalysedDialogue(core.database.db, { ...base, pointId: mine });
    const theirId = await insertAnalysedDialogue(core.database.db, { ...base, pointId: theirs });
    const deps = createAnalyticsDeps({ db: core.database.db, timezone, settings: core.analysisSettings });
    const scope: PointScope = { kind: "points", pointIds: [mine] };
    const period = { from: "2026-05-01", to: "2026-05-03" };
    expect((await getOverview(deps, scope, period)).dialogues).toBe(1);
    expect((await getOverview(deps, { kind: "all" }, period)).dialogues).toBe(2);
    const listed = await listAnalysedDialogues(deps, scope, { ...period, sort: "time_desc", limit: 50 });
    expect(listed.rows.map((row) => row.dialogueId)).toEqual([myId]);
    expect((await getDialogueDetail(deps, scope, myId)).dialogue.dialogueId).toBe(myId);
    await expect(getDialogueDetail(deps, scope, theirId)).rejects.toMatchObject({ code: "dialogues.not_found", status: 404 });
    await expect(getOverview(deps, scope, { ...period, pointId: theirs })).rejects.toMatchObject({ code: "analytics.point_forbidden", status: 403 });
  });

  test("a dialogue's audio is assembled from its chunk and served with Range", async () => {
    core = await createTestCore();
    const device = await core.registerDevice();
    const { bytes } = await speechChunk({ seconds: 4, atMs: 500, text: "would you like a case" });
    const chunkId = randomUUID();
    const startTs = core.clock.now() - 120_000;
    const upload = await core.upload(device, { bytes, chunkId, startTs });
    expect(upload.ok).toBe(true);
    const id = await insertAnalysedDialogue(core.database.db, { pointId: device.pointId, registerId: device.registerId, startTs, upsell: true, reaction: "accepted", quality: 7, text: "would you like a case" });
    const [segment] = await core.database.db
      .insert(speechSegments)
      .values({ chunkId, pointId: device.pointId, registerId: device.registerId, startTs, endTs: startTs + 3000, offsetStartMs: 0, offsetEndMs: 3000 })
      .returning({ id: speechSegments.id });
    await core.database.db.insert(dialogueSegments).values({ speechSegmentId: segment!.id, dialogueId: id, chunkId, startTs, endTs: startTs + 3000, offsetStartMs: 0, offsetEndMs: 3000 });

    const whole = await core.admin(`/api/v1/dialogues/${id}/audio`);
    expect([whole.status, whole.headers.get("content-type"), whole.headers.get("accept-ranges")]).toEqual([200, "audio/wav", "bytes"]);
    const wav = new Uint8Array(await whole.arrayBuffer());
    expect(new TextDecoder().decode(wav.slice(0, 4))).toBe("RIFF");
    // 3 s of 16 kHz 16-bit mono after the 44-byte header.
    expect(wav.length).toBe(44 + 3 * 16_000 * 2);
    const part = await core.admin(`/api/v1/dialogues/${id}/audio`, { headers: { range: "bytes=44-1043" } });
    expect([part.status, part.headers.get("content-range")]).toEqual([206, `bytes 44-1043/${wav.length}`]);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(wav.slice(44, 1044));
    const beyond = await core.admin(`/api/v1/dialogues/${id}/audio`, { headers: { range: `bytes=${wav.length + 10}-` } });
    expect(beyond.status).toBe(416);
  });

  test("a newer analysis pass replaces the older one in the figures and the list", async () => {
    core = await createTestCore();
    const pointId = randomUUID();
    const id = await insertAnalysedDialogue(core.database.db, { pointId, registerId: randomUUID(), startTs: Date.parse("2026-05-02T10:00:00Z"), upsell: false, reaction: "not_applicable", quality: 2, text: "x" });
    const period = "from=2026-05-02&to=2026-05-02";
    expect((await json(`/api/v1/analytics/overview?${period}`)).body).toMatchObject({ dialogues: 1, upsell_attempts: 0, average_quality: 2 });
    const [first] = await core.database.db.select().from(dialogueAnalyses);
    await core.database.db.insert(dialogueAnalyses).values({ ...first!, id: undefined, pass: 2, upsellAttempted: true, customerReaction: "accepted", qualityScore: 9 });
    expect((await json(`/api/v1/analytics/overview?${period}`)).body).toMatchObject({ dialogues: 1, upsell_attempts: 1, accepted: 1, average_quality: 9 });
    expect((await json(`/api/v1/dialogues?${period}`)).body.dialogues.map((row: { dialogue_id: string; quality_score: number }) => [row.dialogue_id, row.quality_score])).toEqual([[id, 9]]);
  });

  test("day totals, the list and the search follow a re-plan that merges two dialogues and moves one across midnight", async () => {
    core = await createTestCore();
    const device = await core.registerDevice();
    // Five 60 s chunks from 23:56 local (Belgrade, UTC+2 in May): chunk 4 starts at local midnight.
    const timelineStart = Date.parse("2026-05-02T21:56:00Z");
    const vad = { db: core.database.db, clock: core.clock, settings: { silenceGapMs: 20_000, maxDialogueMs: 600_000, closeGraceMs: 86_400_000 } };
    const speech = async (index: number, spans: Array<[number, number]>) => {
      const chunkId = `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;
      const startTs = timelineStart + index * 60_000;
      await createIngestRepository(core.database.db).insertChunk({ chunkId, deviceId: device.deviceId, pointId: device.pointId, registerId: device.registerId, startTs, endTs: startTs + 60_000, codec: "opus", sampleRate: 48000, channels: 1, byteSize: 1, sha256: "0".repeat(64), storedPath: `${chunkId}.ogg`, receivedAt: core.clock.now() });
      await applyVadResult(vad, chunkId, { audio_ms: 60_000, segments: spans.map(([start, end]) => ({ start_ms: start * 1000, end_ms: end * 1000 })) });
    };
    const planned = () => core.database.db.select().from(dialogues).orderBy(asc(dialogues.startTs));
    await speech(0, [[40, 60]]);
    await speech(2, [[0, 20]]);
    await speech(4, [[5, 20]]);
    const [first, second, afterMidnight] = await planned();
    const words = new Map([[first!.dialogueId, "alpha"], [second!.dialogueId, "bravo"], [afterMidnight!.dialogueId, "charlie"]]);
    for (const [dialogue, quality] of [[first!, 2], [second!, 4], [afterMidnight!, 9]] as const)
      await insertAnalysis(core.database.db, dialogue.dialogueId, { startTs: dialogue.startTs, upsell: false, reaction: "not_applicable", quality, text: `dialogue ${words.get(dialogue.dialogueId)}` });
    const day = async (date: string) => (await json(`/api/v1/analytics/overview?from=${date}&to=${date}`)).body;
    expect(await day("2026-05-02")).toMatchObject({ dialogues: 2, average_quality: 3 });
    expect(await day("2026-05-03")).toMatchObject({ dialogues: 1, average_quality: 9 });

    // Speech through chunk 1 joins the first two; speech at the end of chunk 3 pulls the third back before midnight.
    await speech(1, [[0, 60]]);
    await speech(3, [[50, 60]]);
    const after = await planned();
    expect(after.length).toBe(2);
    const [merged, moved] = after;
    expect(moved!.dialogueId).toBe(afterMidnight!.dialogueId);
    expect(moved!.startTs).toBe(timelineStart + 3 * 60_000 + 50_000);
    const mergedQuality = merged!.dialogueId === first!.dialogueId ? 2 : 4;
    expect(await day("2026-05-02")).toMatchObject({ dialogues: 2, average_quality: (mergedQuality + 9) / 2 });
    expect(await day("2026-05-03")).toMatchObject({ dialogues: 0, average_quality: null });
    const daily = (await json("/api/v1/analytics/daily?from=2026-05-02&to=2026-05-03")).body.days;
    expect(daily.map((row: { date: string; dialogues: number }) => [row.date, row.dialogues])).toEqual([["2026-05-02", 2], ["2026-05-03", 0]]);
    const hourly = (await json("/api/v1/analytics/hourly?from=2026-05-02&to=2026-05-03")).body.hours;
    expect(hourly[23].dialogues).toBe(2);
    expect(hourly[0].dialogues).toBe(0);

    const list = (await json("/api/v1/dialogues?from=2026-05-02&to=2026-05-03")).body.dialogues;
    expect(list.map((row: { dialogue_id: string; start_ts: number }) => [row.dialogue_id, row.start_ts])).toEqual([
      [moved!.dialogueId, new Date(moved!.startTs).toISOString()],
      [merged!.dialogueId, new Date(merged!.startTs).toISOString()],
    ]);
    const search = async (word: string, date: string) => (await json(`/api/v1/dialogues?from=${date}&to=${date}&q=${word}`)).body.dialogues.map((row: { dialogue_id: string }) => row.dialogue_id);
    expect(await search("charlie", "2026-05-02")).toEqual([moved!.dialogueId]);
    expect(await search("charlie", "2026-05-03")).toEqual([]);
    const gone = merged!.dialogueId === first!.dialogueId ? "bravo" : "alpha";
    expect(await search(gone, "2026-05-02")).toEqual([]);
    expect(await search(words.get(merged!.dialogueId)!, "2026-05-02")).toEqual([merged!.dialogueId]);
  });

  test("an operator limited to one point cannot see another point by API; an unlimited one sees both", async () => {
    core = await createTestCore();
    const [mine, theirs] = [randomUUID(), randomUUID()];
    const base = { registerId: randomUUID(), startTs: Date.parse("2026-05-02T10:00:00Z"), upsell: true, reaction: "accepted", quality: 8, text: "x" } as const;
    const myId = await insertAnalysedDialogue(core.database.db, { ...base, pointId: mine });
    const theirId = await insertAnalysedDialogue(core.database.db, { ...base, pointId: theirs });
    const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
    await addOperator(accounts, "shop-manager", "manager-password-1", { role: "viewer", scope: [mine] });
    await addOperator(accounts, "owner", "owner-password-12", { role: "viewer", scope: null });
    const sessionOf = async (username: string, password: string) => (await logIn(accounts, { username, password, remoteAddress: "198.51.100.7" })).token;
    const as = (token: string) => async (path: string) => {
      const response = await core.app.request(path, { headers: { cookie: `${sessionCookieNameOf("core")}=${token}` } }, { remoteAddress: "198.51.100.7" });
      return { status: response.status, body: (await response.json()) as any };
    };
    const manager = as(await sessionOf("shop-manager", "manager-password-1"));
    const owner = as(await sessionOf("owner", "owner-password-12"));
    const period = "from=2026-05-01&to=2026-05-03";

    expect((await manager(`/api/v1/analytics/overview?${period}`)).body.dialogues).toBe(1);
    expect((await owner(`/api/v1/analytics/overview?${period}`)).body.dialogues).toBe(2);
    expect((await manager(`/api/v1/analytics/points?${period}`)).body.points.map((point: { point_id: string }) => point.point_id)).toEqual([mine]);
    expect((await manager(`/api/v1/dialogues?${period}`)).body.dialogues.map((row: { dialogue_id: string }) => row.dialogue_id)).toEqual([myId]);
    expect((await manager(`/api/v1/dialogues/${myId}`)).status).toBe(200);
    for (const path of [`/api/v1/dialogues/${theirId}`, `/api/v1/dialogues/${theirId}/audio`]) {
      const refused = await manager(path);
      expect([path, refused.status, refused.body.error.code]).toEqual([path, 404, "dialogues.not_found"]);
    }
    const otherPoint = await manager(`/api/v1/analytics/overview?${period}&point_id=${theirs}`);
    expect([otherPoint.status, otherPoint.body.error.code]).toEqual([403, "analytics.point_forbidden"]);
    expect((await owner(`/api/v1/dialogues/${theirId}`)).status).toBe(200);
    const forged = await as("forged-session-token")(`/api/v1/analytics/overview?${period}`);
    expect([forged.status, forged.body.error.code]).toEqual([401, "auth.required"]);
  });
});
