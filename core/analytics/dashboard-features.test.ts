import { afterEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { addOperator, logIn } from "../../shared/accounts/accounts.usecases.ts";
import type { OperatorRole } from "../../shared/accounts/accounts.schema.ts";
import { sessionCookieNameOf } from "../../shared/accounts/operator-session.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { createFakeClock } from "../../shared/testing/fake-clock.ts";
import { createCoreAccounts } from "../operators/operator-accounts.ts";
import { dialogues } from "../pipeline/dialogues/dialogues.schema.ts";
import { createTestCore, type TestCore, testAdminToken } from "../testing/core-test-app.ts";
import { insertAnalysedDialogue, insertRecording } from "./analytics.testing.ts";
import { createRecordersRepository } from "./recorders.repository.ts";
import { phraseKeyOf } from "./what-works.usecases.ts";

let core: TestCore;
afterEach(() => core?.dispose());

async function json(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await core.admin(path, init);
  return { status: response.status, body: await response.json() };
}

/** An operator's session as the pages hold it: the cookie, and the header the pages send on a change. */
async function operatorSession(username: string, role: OperatorRole, scope: string[] | null) {
  const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
  await addOperator(accounts, username, `${username}-password-12`, { role, scope });
  const { token } = await logIn(accounts, { username, password: `${username}-password-12`, remoteAddress: "198.51.100.7" });
  return async (path: string, init: { method?: string; csrf?: boolean } = {}) => {
    const headers: Record<string, string> = { cookie: `${sessionCookieNameOf("core")}=${token}` };
    if (init.csrf !== false && init.method === "POST") headers["x-requested-with"] = "salescontrol";
    const response = await core.app.request(path, { method: init.method ?? "GET", headers }, { remoteAddress: "198.51.100.7" });
    return { status: response.status, body: (await response.json()) as any };
  };
}

const text = "Добрый день. Хотите гарантию? Может, страховку? хотите  гарантию и чехол";
const may = (day: number, hour: number) => Date.UTC(2026, 4, day, hour, 0);

/** Point A: "хотите гарантию" accepted twice (written two ways) and declined once; point B: accepted once. */
async function insertOffers(pointA: string, pointB: string) {
  const register = randomUUID();
  const offer = (category: string, quote: string) => [{ category, quote }];
  const ids = {
    a1: await insertAnalysedDialogue(core.database.db, { pointId: pointA, registerId: register, startTs: may(2, 9), upsell: true, reaction: "accepted", quality: 8, offers: offer("warranty", "Хотите гарантию?"), text }),
    a2: await insertAnalysedDialogue(core.database.db, { pointId: pointA, registerId: register, startTs: may(3, 9), upsell: true, reaction: "accepted", quality: 7, offers: offer("warranty", "хотите  гарантию"), text }),
    a3: await insertAnalysedDialogue(core.database.db, { pointId: pointA, registerId: register, startTs: may(4, 9), upsell: true, reaction: "declined", quality: 5, offers: offer("warranty", "Хотите гарантию?"), text }),
    a4: await insertAnalysedDialogue(core.database.db, { pointId: pointA, registerId: register, startTs: may(5, 9), upsell: true, reaction: "accepted", quality: 9, offers: [...offer("warranty", "Может, страховку?"), ...offer("accessory", "чехол")], text }),
    a5: await insertAnalysedDialogue(core.database.db, { pointId: pointA, registerId: register, startTs: may(6, 9), upsell: true, reaction: "declined", quality: 4, offers: offer("accessory", "чехол"), text }),
    b1: await insertAnalysedDialogue(core.database.db, { pointId: pointB, registerId: randomUUID(), startTs: may(7, 9), upsell: true, reaction: "accepted", quality: 8, offers: offer("warranty", "Хотите гарантию?"), text }),
  };
  return ids;
}

describe("what works", () => {
  test("a phrase is the seller's words whatever their case, punctuation and spacing", () => {
    expect(phraseKeyOf("Хотите  ГАРАНТИЮ?!")).toBe("хотите гарантию");
    expect(phraseKeyOf("Would you like a case?")).toBe(phraseKeyOf("would you like a CASE"));
  });

  test("per category, the phrases most often followed by an accepted offer, with their dialogues newest first", async () => {
    core = await createTestCore();
    const [pointA, pointB] = [randomUUID(), randomUUID()];
    const ids = await insertOffers(pointA, pointB);
    const { status, body } = await json("/api/v1/analytics/what-works?from=2026-05-01&to=2026-05-31");
    expect(status).toBe(200);
    expect(body.timezone).toBe("Europe/Belgrade");
    expect(body.categories).toEqual([
      {
        category: "warranty",
        label: { en: "Warranty and insurance", ru: "Гарантия и страховка" },
        phrases: [
          {
            phrase: "Хотите гарантию?",
            offers: 4,
            accepted: 3,
            acceptance_rate: 0.75,
            dialogues: [ids.b1, ids.a2, ids.a1].map((id, index) => ({ dialogue_id: id, start_ts: new Date(may(7 - [0, 4, 5][index]!, 9)).toISOString() })),
          },
          { phrase: "Может, страховку?", offers: 1, accepted: 1, acceptance_rate: 1, dialogues: [{ dialogue_id: ids.a4, start_ts: new Date(may(5, 9)).toISOString() }] },
        ],
      },
      {
        category: "accessory",
        label: { en: "Accessories", ru: "Аксессуары" },
        phrases: [{ phrase: "чехол", offers: 2, accepted: 1, acceptance_rate: 0.5, dialogues: [{ dialogue_id: ids.a4, start_ts: new Date(may(5, 9)).toISOString() }] }],
      },
    ]);
    // The period, the point and the number of phrases narrow it.
    const early = await json("/api/v1/analytics/what-works?from=2026-05-01&to=2026-05-02");
    expect(early.body.categories.map((category: any) => category.phrases.map((phrase: any) => [phrase.phrase, phrase.accepted]))).toEqual([[["Хотите гарантию?", 1]]]);
    const atB = await json(`/api/v1/analytics/what-works?from=2026-05-01&to=2026-05-31&point_id=${pointB}&limit=1`);
    expect(atB.body.categories.map((category: any) => category.phrases.map((phrase: any) => phrase.dialogues.map((dialogue: any) => dialogue.dialogue_id)))).toEqual([[[ids.b1]]]);
    const top = await json("/api/v1/analytics/what-works?from=2026-05-01&to=2026-05-31&limit=1");
    expect(top.body.categories[0].phrases).toHaveLength(1);
    const none = await json("/api/v1/analytics/what-works?from=2026-06-01&to=2026-06-30");
    expect(none.body.categories).toEqual([]);
  });

  test("bad input is refused with its code; callers without a token or session are refused", async () => {
    core = await createTestCore();
    for (const [path, code] of [
      ["/api/v1/analytics/what-works?from=2026-02-30&to=2026-03-01", "analytics.bad_date"],
      ["/api/v1/analytics/what-works?from=2026-03-02&to=2026-03-01", "analytics.bad_period"],
      ["/api/v1/analytics/what-works?from=2026-03-01&to=2026-03-01&limit=0", "request.invalid"],
      ["/api/v1/analytics/what-works?from=2026-03-01&to=2026-03-01&limit=21", "request.invalid"],
      ["/api/v1/analytics/what-works?from=2026-03-01&to=2026-03-01&point_id=../x", "request.invalid"],
    ] as const) {
      const { status, body } = await json(path);
      expect([path, status, body.error.code]).toEqual([path, 400, code]);
    }
    const anonymous = await core.app.request("/api/v1/analytics/what-works?from=2026-03-01&to=2026-03-01", {}, { remoteAddress: "198.51.100.40" });
    expect(anonymous.status).toBe(401);
    const wrong = await core.app.request("/api/v1/analytics/what-works?from=2026-03-01&to=2026-03-01", { headers: { authorization: `Bearer ${testAdminToken}x` } }, { remoteAddress: "198.51.100.41" });
    expect(wrong.status).toBe(401);
  });

  test("a point-limited account sees only its point's phrases and dialogues", async () => {
    core = await createTestCore();
    const [pointA, pointB] = [randomUUID(), randomUUID()];
    const ids = await insertOffers(pointA, pointB);
    const manager = await operatorSession("manager", "viewer", [pointA]);
    const mine = await manager("/api/v1/analytics/what-works?from=2026-05-01&to=2026-05-31");
    expect(mine.status).toBe(200);
    const warranty = mine.body.categories.find((category: any) => category.category === "warranty");
    expect([warranty.phrases[0].offers, warranty.phrases[0].accepted]).toEqual([3, 2]);
    const seen = mine.body.categories.flatMap((category: any) => category.phrases.flatMap((phrase: any) => phrase.dialogues.map((dialogue: any) => dialogue.dialogue_id)));
    expect(seen).not.toContain(ids.b1);
    const theirs = await manager(`/api/v1/analytics/what-works?from=2026-05-01&to=2026-05-31&point_id=${pointB}`);
    expect([theirs.status, theirs.body.error.code]).toEqual([403, "analytics.point_forbidden"]);
  });
});

const hour = 3_600_000;
const minute = 60_000;

describe("recorders", () => {
  // The fake clock starts at 2026-01-15 09:00 UTC, 10:00 in Belgrade (UTC+1 in January).
  test("each recorder's last chunk, today's coverage of its learnt schedule, and a stale flag after 10 silent minutes", async () => {
    core = await createTestCore();
    const now = core.clock.now();
    const today = Date.UTC(2026, 0, 14, 23, 0); // local midnight of the 15th
    // Records 08:00–12:00 local every day; today from 08:00 to 09:00 only, then went silent.
    const silent = await core.registerDevice();
    for (let day = 1; day <= 7; day++) await insertRecording(core.database.db, silent, today - day * 24 * hour + 8 * hour, today - day * 24 * hour + 12 * hour);
    await insertRecording(core.database.db, silent, today + 8 * hour, today + 9 * hour);
    // Same schedule, and sending right now.
    const busy = await core.registerDevice();
    for (let day = 1; day <= 7; day++) await insertRecording(core.database.db, busy, today - day * 24 * hour + 8 * hour, today - day * 24 * hour + 12 * hour);
    await insertRecording(core.database.db, busy, today + 8 * hour, now - 2 * minute);
    // Records in the evening only (18:00–20:00): off schedule now, however long silent.
    const evening = await core.registerDevice();
    await insertRecording(core.database.db, evening, today - 24 * hour + 18 * hour, today - 24 * hour + 20 * hour);
    // Never sent anything: its schedule is unknown, it is not stale.
    const fresh = await core.registerDevice();

    const { status, body } = await json("/api/v1/analytics/recorders");
    expect(status).toBe(200);
    expect([body.timezone, body.date, body.now, body.stale_after_seconds]).toEqual(["Europe/Belgrade", "2026-01-15", new Date(now).toISOString(), 600]);
    const byId = new Map(body.recorders.map((recorder: any) => [recorder.device_id, recorder]));
    const silentRow = byId.get(silent.deviceId) as any;
    expect(silentRow).toMatchObject({
      point_id: silent.pointId,
      register_id: silent.registerId,
      enabled: true,
      last_chunk: { start_ts: new Date(today + 9 * hour - minute).toISOString(), end_ts: new Date(today + 9 * hour).toISOString() },
      last_upload_at: new Date(today + 9 * hour + 2000).toISOString(),
      schedule_known: true,
      scheduled_quarter_hours: 16,
      in_schedule_now: true,
      stale: true,
    });
    // 08:00–10:00 is scheduled so far today; 08:00–09:00 was recorded.
    expect(silentRow.today).toEqual({ scheduled_ms: 2 * hour, recorded_ms: hour, coverage: 0.5 });
    const busyRow = byId.get(busy.deviceId) as any;
    expect([busyRow.stale, busyRow.in_schedule_now, busyRow.today]).toEqual([false, true, { scheduled_ms: 2 * hour, recorded_ms: 2 * hour - 2 * minute, coverage: 0.9833 }]);
    const eveningRow = byId.get(evening.deviceId) as any;
    expect([eveningRow.stale, eveningRow.in_schedule_now, eveningRow.scheduled_quarter_hours, eveningRow.today.coverage]).toEqual([false, false, 8, null]);
    const freshRow = byId.get(fresh.deviceId) as any;
    expect([freshRow.stale, freshRow.schedule_known, freshRow.last_chunk, freshRow.last_upload_at]).toEqual([false, false, null, null]);

    // Ten silent minutes make the busy one stale too; a disabled recorder never is.
    core.clock.advance(9 * minute);
    expect(((await json("/api/v1/analytics/recorders")).body.recorders as any[]).find((recorder) => recorder.device_id === busy.deviceId).stale).toBe(true);
    expect((await json(`/api/v1/admin/devices/${silent.deviceId}/disable`, { method: "POST" })).status).toBe(200);
    expect(((await json("/api/v1/analytics/recorders")).body.recorders as any[]).find((recorder) => recorder.device_id === silent.deviceId)).toMatchObject({ enabled: false, stale: false });
  });

  test("chunks are summed per recorder and quarter hour", async () => {
    core = await createTestCore();
    const device = await core.registerDevice();
    const quarter = Date.UTC(2026, 0, 14, 9, 0);
    await insertRecording(core.database.db, device, quarter, quarter + 20 * minute);
    const rows = await createRecordersRepository(core.database.db).chunkQuarters([device.deviceId], quarter - hour, quarter + hour);
    expect(rows.map((row) => [row.quarter * 900_000, row.recordedMs, row.lastEndTs])).toEqual([
      [quarter, 15 * minute, quarter + 15 * minute],
      [quarter + 15 * minute, 5 * minute, quarter + 20 * minute],
    ]);
  });

  test("the learnt schedule is in local hours across the spring daylight-saving change", async () => {
    // Belgrade moves to UTC+2 on 2026-03-29; now is 10:00 local on the 30th.
    core = await createTestCore({}, { clock: createFakeClock(Date.UTC(2026, 2, 30, 8, 0)) });
    const device = await core.registerDevice();
    for (let day = 23; day <= 29; day++) {
      const offset = day >= 29 ? 2 : 1;
      await insertRecording(core.database.db, device, Date.UTC(2026, 2, day, 8 - offset), Date.UTC(2026, 2, day, 12 - offset));
    }
    const [recorder] = (await json("/api/v1/analytics/recorders")).body.recorders;
    // 08:00–12:00 local every day, whatever the UTC hours: 16 quarter hours, two of them past today.
    expect([recorder.scheduled_quarter_hours, recorder.in_schedule_now, recorder.today.scheduled_ms, recorder.stale]).toEqual([16, true, 2 * hour, true]);
  });

  test("a schedule is learnt once a local day: a late chunk of yesterday counts from tomorrow", async () => {
    core = await createTestCore();
    const today = Date.UTC(2026, 0, 14, 23, 0);
    const device = await core.registerDevice();
    await insertRecording(core.database.db, device, today - 24 * hour + 8 * hour, today - 24 * hour + 12 * hour);
    const quarters = async () => (await json("/api/v1/analytics/recorders")).body.recorders[0].scheduled_quarter_hours;
    expect(await quarters()).toBe(16);
    await insertRecording(core.database.db, device, today - 24 * hour + 18 * hour, today - 24 * hour + 20 * hour);
    expect(await quarters()).toBe(16);
    core.clock.advance(24 * hour);
    expect(await quarters()).toBe(24);
  });

  test("a recorder whose window has just opened is not stale yet", async () => {
    core = await createTestCore();
    const today = Date.UTC(2026, 0, 14, 23, 0);
    const device = await core.registerDevice();
    // 10:00–12:00 local yesterday; now is 10:00 local, nothing sent yet today.
    await insertRecording(core.database.db, device, today - 24 * hour + 10 * hour, today - 24 * hour + 12 * hour);
    const first = (await json("/api/v1/analytics/recorders")).body.recorders[0];
    expect([first.in_schedule_now, first.stale]).toEqual([true, false]);
    core.clock.advance(10 * minute);
    expect((await json("/api/v1/analytics/recorders")).body.recorders[0].stale).toBe(true);
  });

  test("a point-limited account sees only its point's recorders; bad input and unknown callers are refused", async () => {
    core = await createTestCore();
    const mine = await core.registerDevice();
    const theirs = await core.registerDevice();
    const manager = await operatorSession("manager", "viewer", [mine.pointId]);
    const seen = await manager("/api/v1/analytics/recorders");
    expect(seen.body.recorders.map((recorder: any) => recorder.device_id)).toEqual([mine.deviceId]);
    const refused = await manager(`/api/v1/analytics/recorders?point_id=${theirs.pointId}`);
    expect([refused.status, refused.body.error.code]).toEqual([403, "analytics.point_forbidden"]);
    expect((await json(`/api/v1/analytics/recorders?point_id=${theirs.pointId}`)).body.recorders.map((recorder: any) => recorder.device_id)).toEqual([theirs.deviceId]);
    const bad = await json("/api/v1/analytics/recorders?point_id=nope");
    expect([bad.status, bad.body.error.code]).toEqual([400, "request.invalid"]);
    const anonymous = await core.app.request("/api/v1/analytics/recorders", {}, { remoteAddress: "198.51.100.50" });
    expect(anonymous.status).toBe(401);
  });
});

describe("re-analysis from the dashboard", () => {
  test("an admin operator or the admin token queues a new pass; a viewer, another point and a cross-site call are refused", async () => {
    core = await createTestCore();
    const [pointA, pointB] = [randomUUID(), randomUUID()];
    const ids = await insertOffers(pointA, pointB);
    const admin = await operatorSession("boss", "admin", null);
    const viewer = await operatorSession("viewer", "viewer", null);
    const limitedAdmin = await operatorSession("shop-admin", "admin", [pointA]);

    const queued = await admin(`/api/v1/dialogues/${ids.a1}/reanalyse`, { method: "POST" });
    expect([queued.status, queued.body]).toEqual([202, { status: "queued", pass: 2, already_queued: false }]);
    const [row] = await core.database.db.select({ status: dialogues.analysisStatus }).from(dialogues).where(eq(dialogues.dialogueId, ids.a1));
    expect(row!.status).toBe("QUEUED");
    const again = await json(`/api/v1/dialogues/${ids.a1}/reanalyse`, { method: "POST" });
    expect([again.status, again.body]).toEqual([202, { status: "queued", pass: 2, already_queued: true }]);

    const refused = await viewer(`/api/v1/dialogues/${ids.a2}/reanalyse`, { method: "POST" });
    expect([refused.status, refused.body.error.code]).toEqual([403, "dialogues.reanalyse_forbidden"]);
    const elsewhere = await limitedAdmin(`/api/v1/dialogues/${ids.b1}/reanalyse`, { method: "POST" });
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([404, "dialogues.not_found"]);
    expect((await limitedAdmin(`/api/v1/dialogues/${ids.a3}/reanalyse`, { method: "POST" })).status).toBe(202);
    const crossSite = await admin(`/api/v1/dialogues/${ids.a4}/reanalyse`, { method: "POST", csrf: false });
    expect([crossSite.status, crossSite.body.error.code]).toEqual([403, "auth.csrf"]);
    const unknown = await json(`/api/v1/dialogues/${randomUUID()}/reanalyse`, { method: "POST" });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "dialogues.not_found"]);
    const bad = await json("/api/v1/dialogues/not-a-uuid/reanalyse", { method: "POST" });
    expect([bad.status, bad.body.error.code]).toEqual([400, "request.invalid"]);
    const anonymous = await core.app.request(`/api/v1/dialogues/${ids.a4}/reanalyse`, { method: "POST" }, { remoteAddress: "198.51.100.60" });
    expect(anonymous.status).toBe(401);
  });
});
