import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import type { Browser } from "playwright-core";
import { addOperator } from "../../shared/accounts/accounts.usecases.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { collectPageErrors, pageUsability, usablePage, launchChromium, openIsolatedContext, type ViewportName } from "../../shared/testing/chromium.ts";
import { eq } from "drizzle-orm";
import { type AnalysedDialogueFixture, insertAnalysedDialogue, insertRecording } from "../analytics/analytics.testing.ts";
import { dialogueTranscripts } from "../pipeline/asr/asr.schema.ts";
import { dialogueSegments } from "../pipeline/dialogues/dialogues.schema.ts";
import { speechSegments } from "../pipeline/vad/vad.schema.ts";
import { speechChunk } from "../testing/test-audio.ts";
import { createCoreAccounts } from "../operators/operator-accounts.ts";
import { createTestCore, type TestCore, testAdminToken } from "../testing/core-test-app.ts";

const operator = { username: "owner", password: "owner-password-12" };
/** An admin, who may ask for a dialogue to be analysed again. */
const boss = { username: "boss", password: "boss-password-123" };
/** A store manager who may see point A only. */
const manager = { username: "manager-a", password: "manager-password-12" };
const pointA = randomUUID();
const pointB = randomUUID();
const registerA = randomUUID();
const registerB = randomUUID();
const hourMs = 3_600_000;
const recorderA = { pointId: pointA, registerId: registerA, deviceId: randomUUID(), token: `dev-${randomUUID()}` };
const recorderB = { pointId: pointB, registerId: registerB, deviceId: randomUUID(), token: `dev-${randomUUID()}` };
const text = "Добрый день. Хотите гарантию и чехол к телефону?";

/** Belgrade is UTC+2 in May: 09:30 UTC is 11:30 local. */
const fixtures: AnalysedDialogueFixture[] = [
  { pointId: pointA, registerId: registerA, startTs: Date.UTC(2026, 4, 12, 9, 30), upsell: true, reaction: "accepted", quality: 9, offers: [{ category: "warranty", quote: "гарантию" }], text },
  { pointId: pointA, registerId: registerA, startTs: Date.UTC(2026, 4, 12, 9, 50), upsell: true, reaction: "declined", quality: 6, offers: [{ category: "accessory", quote: "чехол" }], text },
  { pointId: pointA, registerId: registerA, startTs: Date.UTC(2026, 4, 13, 15, 5), upsell: false, reaction: "not_applicable", quality: 3, text },
  { pointId: pointB, registerId: registerB, startTs: Date.UTC(2026, 4, 14, 7, 0), upsell: true, reaction: "accepted", quality: 8, offers: [{ category: "warranty", quote: "гарантию" }], text },
  // The previous period (the week before).
  { pointId: pointA, registerId: registerA, startTs: Date.UTC(2026, 4, 6, 10, 0), upsell: false, reaction: "not_applicable", quality: 4, text },
];

let core: TestCore;
let server: RunningHttpServer;
let browser: Browser;

beforeAll(async () => {
  core = await createTestCore();
  for (const fixture of fixtures) await insertAnalysedDialogue(core.database.db, fixture);
  const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
  await addOperator(accounts, operator.username, operator.password, { role: "viewer", scope: null });
  await addOperator(accounts, manager.username, manager.password, { role: "viewer", scope: [pointA] });
  await addOperator(accounts, boss.username, boss.password, { role: "admin", scope: null });
  // Recorders at both points, each recording 08:00–12:00 local yesterday (the clock is 10:00 local);
  // today the one at point A sent its last chunk at 09:00, the one at point B is sending.
  const localMidnight = Date.UTC(2026, 0, 14, 23, 0);
  for (const [device, lastEnd] of [
    [recorderA, localMidnight + 9 * hourMs],
    [recorderB, core.clock.now() - 60_000],
  ] as const) {
    await core.registerDevice(device);
    await insertRecording(core.database.db, device, localMidnight - 16 * hourMs, localMidnight - 12 * hourMs);
    await insertRecording(core.database.db, device, localMidnight + 8 * hourMs, lastEnd);
  }
  server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  core?.dispose();
});

async function openPage(viewport: ViewportName = "desktop", locale = "en-US"): Promise<{ page: Page; errors: string[] }> {
  const context = await openIsolatedContext(browser, server.url, viewport, locale);
  const page = await context.newPage();
  return { page, errors: collectPageErrors(page) };
}

const week = "period=week&to=2026-05-14";

async function signInAsOperator(page: Page, account = operator): Promise<void> {
  await page.goto(`${server.url}/login?next=/dashboard`);
  await page.fill("#username", account.username);
  await page.fill("#password", account.password);
  await page.click("#sign-in-button");
  await page.waitForURL(`${server.url}/dashboard`);
}

/** Signs in with the admin token, which the page keeps in sessionStorage. */
async function signInWithAdminToken(page: Page): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.fill("#admin-token", testAdminToken);
  await page.click("#token-button");
  await page.waitForURL(`${server.url}/dashboard`);
}

/** A desktop page in English, signed in as the operator, at `path` once its script has loaded it. */
async function openSignedIn(path: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage();
  await signInAsOperator(opened.page);
  await opened.page.goto(`${server.url}${path}`);
  await opened.page.waitForSelector("body[data-loaded=true]");
  return opened;
}

async function expectUsablePage(page: Page, name: string): Promise<void> {
  expect({ name, ...(await pageUsability(page)) }).toEqual({ name, ...usablePage });
}

describe("sign-in", () => {
  test("an operator signs in with a password and reaches the overview by the session cookie", async () => {
    const { page, errors } = await openSignedIn(`/dashboard?${week}`);
    expect(await page.textContent("#who")).toBe(operator.username);
    expect(await page.textContent("#figure-dialogues")).toBe("4");
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("the admin token: a wrong one is refused and not kept; the right one is kept in sessionStorage only", async () => {
    const { page, errors } = await openPage();
    await page.goto(`${server.url}/login?next=/dashboard`);
    await page.fill("#admin-token", "not-the-token");
    await page.click("#token-button");
    await page.waitForSelector("#token-message:has-text('The token is not valid.')");
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    await page.fill("#admin-token", testAdminToken);
    await page.click("#token-button");
    await page.waitForURL(`${server.url}/dashboard`);
    expect(await page.evaluate("sessionStorage.getItem('salescontrol.adminToken')")).toBe(testAdminToken);
    const cookies = await page.context().cookies();
    expect(cookies.map((cookie) => cookie.value).join(" ")).not.toContain(testAdminToken);
    expect(await page.evaluate("localStorage.length")).toBe(0);
    await page.goto(`${server.url}/dashboard?${week}`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.textContent("#figure-dialogues")).toBe("4");
    // No session to end: the bar offers to forget the token, which leaves the tab signed out.
    await page.click("#forget-token");
    await page.waitForURL(`${server.url}/login`);
    expect(await page.evaluate("sessionStorage.length")).toBe(0);
    expect(errors.filter((error) => !error.includes("401"))).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("without a session or token the overview sends the browser to sign in and back", async () => {
    const { page } = await openPage();
    await page.goto(`${server.url}/dashboard?${week}`);
    await page.waitForURL(`${server.url}/login?next=%2Fdashboard`);
    expect(await page.isVisible("#admin-token")).toBe(true);
    await page.context().close();
  }, 60_000);
});

describe("overview", () => {
  test("the figures equal the API's and the fixture's, each beside the previous period; the point filter narrows them", async () => {
    const { page, errors } = await openSignedIn(`/dashboard?${week}`);
    const api = (await (await core.admin("/api/v1/analytics/overview?from=2026-05-08&to=2026-05-14")).json()) as { dialogues: number; upsell_attempts: number; accepted: number; average_quality: number; previous: { dialogues: number } };
    // Computed from the fixture: four dialogues in the week, three with an upsell, two accepted.
    expect([api.dialogues, api.upsell_attempts, api.accepted, api.average_quality, api.previous.dialogues]).toEqual([4, 3, 2, 6.5, 1]);
    const figures = await page.$$eval(".figures b", (nodes) => nodes.map((node) => node.textContent));
    expect(figures).toEqual(["4", "3", new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 }).format(0.75), "6.5", "2"]);
    expect(await page.textContent("#previous-dialogues")).toBe("Previous period: 1");
    expect(await page.textContent("#range")).toBe("2026-05-08 – 2026-05-14 (Europe/Belgrade)");
    // Hourly bars are local hours: 09:30 and 09:50 UTC are 11 o'clock in Belgrade.
    expect(await page.textContent("#hourly-chart rect:nth-of-type(23) title")).toBe("11:00 — 2 dialogues, 2 upsell attempts");
    expect(await page.$$eval("#category-rows tr", (rows) => rows.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent)))).toEqual([
      ["Warranty and insurance", "2", "2"],
      ["Accessories", "1", "0"],
    ]);
    expect(await page.$$eval("#daily-chart rect", (rects) => rects.length)).toBe(7);
    await page.selectOption("#point", pointB);
    await page.click("#show");
    await page.waitForURL(/point_id=/);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.textContent("#figure-dialogues")).toBe("1");
    expect(await page.textContent("#figure-accepted")).toBe("1");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("the dialogue list: filters, sorting, cursor pages and the CSV of the same filters", async () => {
    const { page, errors } = await openPage();
    await signInAsOperator(page);
    const ids = async () => await page.$$eval("#dialogue-rows tr", (rows) => rows.map((row) => row.getAttribute("data-dialogue-id")));
    await page.goto(`${server.url}/dialogues?from=2026-05-08&to=2026-05-14&sort=time_asc`);
    await page.waitForSelector("body[data-loaded=true]");
    const all = (await (await core.admin("/api/v1/dialogues?from=2026-05-08&to=2026-05-14&sort=time_asc")).json()) as { dialogues: Array<{ dialogue_id: string }> };
    expect(await ids()).toEqual(all.dialogues.map((row) => row.dialogue_id));
    expect(all.dialogues).toHaveLength(4);
    // 09:30 UTC on 12 May is 11:30 in Belgrade, whatever the browser's own zone.
    expect(await page.textContent("#dialogue-rows td")).toBe("May 12, 2026, 11:30 AM");
    // Upsell "no" leaves the one dialogue without an offer, shown with its reaction word.
    await page.selectOption("#upsell", "false");
    await page.click("#show");
    await page.waitForURL(/upsell=false/);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.$$eval("#dialogue-rows tr", (rows) => rows.length)).toBe(1);
    expect(await page.textContent("#dialogue-rows [data-state]")).toBe("No offer");
    expect(await page.getAttribute("#csv", "href")).toBe("/api/v1/dialogues.csv?from=2026-05-08&to=2026-05-14&upsell=false&sort=time_asc");
    // Quality from 8 and best first.
    await page.goto(`${server.url}/dialogues?from=2026-05-08&to=2026-05-14&quality_min=8&sort=quality_desc`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.$$eval("#dialogue-rows td.number", (cells) => cells.map((cell) => cell.textContent))).toEqual(["9", "8"]);
    expect(await page.inputValue("#quality-min")).toBe("8");
    // Pages of two by the cursor: together they are the whole list, in order.
    await page.goto(`${server.url}/dialogues?from=2026-05-08&to=2026-05-14&sort=time_asc&limit=2`);
    await page.waitForSelector("body[data-loaded=true]");
    const first = await ids();
    await page.click("#next-page");
    await page.waitForURL(/cursor=/);
    await page.waitForSelector("body[data-loaded=true]");
    expect([...first, ...(await ids())]).toEqual(all.dialogues.map((row) => row.dialogue_id));
    expect(await page.isVisible("#next-page")).toBe(false);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  for (const viewport of ["desktop", "phone"] as const) {
    for (const language of ["en", "ru"] as const) {
      test(`${viewport}, ${language}: sign-in, overview and dialogues fit, pass axe and the keyboard walk`, async () => {
        const { page, errors } = await openPage(viewport, language === "ru" ? "ru-RU" : "en-US");
        await page.goto(`${server.url}/login`);
        expect(await page.getAttribute("html", "lang")).toBe(language);
        await expectUsablePage(page, "sign-in");
        await signInAsOperator(page);
        await page.goto(`${server.url}/dashboard?${week}`);
        await page.waitForSelector("body[data-loaded=true]");
        expect(await page.textContent("h1")).toBe(language === "ru" ? "Обзор" : "Overview");
        expect(await page.textContent("#category-rows td")).toBe(language === "ru" ? "Гарантия и страховка" : "Warranty and insurance");
        await expectUsablePage(page, "overview");
        await page.goto(`${server.url}/dialogues?from=2026-05-08&to=2026-05-14`);
        await page.waitForSelector("body[data-loaded=true]");
        expect(await page.$$eval("#dialogue-rows tr", (rows) => rows.length)).toBe(4);
        await expectUsablePage(page, "dialogues");
        expect(errors).toEqual([]);
        await page.context().close();
      }, 120_000);
    }
  }
});

/** A dialogue with its real audio (one uploaded chunk, 3 s of speech) and a transcript that carries markup. */
async function insertHeardDialogue(): Promise<{ id: string; text: string }> {
  const device = await core.registerDevice();
  const { bytes } = await speechChunk({ seconds: 4, atMs: 500, text: "would you like a case" });
  const chunkId = randomUUID();
  const startTs = core.clock.now() - 120_000;
  expect((await core.upload(device, { bytes, chunkId, startTs })).ok).toBe(true);
  const text = 'Hello "><img src=x onerror=alert(1)> <script>alert(2)</script> would you like a warranty or a case?';
  const id = await insertAnalysedDialogue(core.database.db, {
    pointId: device.pointId,
    registerId: device.registerId,
    startTs,
    upsell: true,
    reaction: "considering",
    quality: 7,
    offers: [
      { category: "warranty", quote: "a warranty" },
      { category: "accessory", quote: "a case" },
    ],
    text,
    summary: "<b>not bold</b>",
  });
  await core.database.db.update(dialogueTranscripts).set({ segments: JSON.stringify([{ start_ms: 0, end_ms: 3000, text }]) }).where(eq(dialogueTranscripts.dialogueId, id));
  const [segment] = await core.database.db
    .insert(speechSegments)
    .values({ chunkId, pointId: device.pointId, registerId: device.registerId, startTs, endTs: startTs + 3000, offsetStartMs: 0, offsetEndMs: 3000 })
    .returning({ id: speechSegments.id });
  await core.database.db.insert(dialogueSegments).values({ speechSegmentId: segment!.id, dialogueId: id, chunkId, startTs, endTs: startTs + 3000, offsetStartMs: 0, offsetEndMs: 3000 });
  return { id, text };
}

describe("a point-limited account", () => {
  test("sees its point's figures and dialogues, and neither another point's figures nor its dialogue", async () => {
    const { page, errors } = await openPage();
    await signInAsOperator(page, manager);
    await page.goto(`${server.url}/dashboard?${week}`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.textContent("#figure-dialogues")).toBe("3");
    expect(await page.$$eval("#point option", (options) => options.map((option) => option.value))).toEqual(["", pointA]);
    await page.goto(`${server.url}/dialogues?from=2026-05-08&to=2026-05-14`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.$$eval("#dialogue-rows tr", (rows) => rows.length)).toBe(3);
    await page.goto(`${server.url}/dashboard?${week}&point_id=${pointB}`);
    await page.waitForSelector("#overview-message.bad");
    expect(await page.textContent("#figure-dialogues")).toBe("–");
    const theirs = (await (await core.admin(`/api/v1/dialogues?from=2026-05-08&to=2026-05-14&point_id=${pointB}`)).json()) as { dialogues: Array<{ dialogue_id: string }> };
    await page.goto(`${server.url}/dialogues/${theirs.dialogues[0]!.dialogue_id}`);
    await page.waitForSelector("#dialogue-message.bad");
    expect(await page.textContent("#transcript-text")).toBe("");
    expect(errors.filter((error) => !/40[34]/.test(error))).toEqual([]);
    await page.context().close();
  }, 60_000);
});

describe("dialogue detail", () => {
  test("quotes are marked at their stored offsets as text, markup stays text, and a quote seeks the audio", async () => {
    const { id, text } = await insertHeardDialogue();
    const detail = (await (await core.admin(`/api/v1/dialogues/${id}`)).json()) as { transcript: { text: string }; analysis: { offers: Array<{ quote: { text: string; start: number; end: number } }> } };
    for (const language of ["en", "ru"] as const) {
      for (const viewport of ["desktop", "phone"] as const) {
        const { page, errors } = await openPage(viewport, language === "ru" ? "ru-RU" : "en-US");
        await signInAsOperator(page);
        await page.goto(`${server.url}/dialogues/${id}`);
        await page.waitForSelector("body[data-loaded=true]");
        expect(await page.textContent("h1")).toBe(language === "ru" ? "Диалог" : "Dialogue");
        expect(await page.textContent("#transcript-text")).toBe(text);
        expect(await page.$$("#transcript-text img, #transcript-text script, #analysis-facts b")).toHaveLength(0);
        const marks = await page.$$eval("#transcript-text mark", (nodes) => nodes.map((node) => ({ text: node.textContent, start: Number(node.getAttribute("data-start")), end: Number(node.getAttribute("data-end")) })));
        expect(marks).toEqual(detail.analysis.offers.map((offer) => ({ text: detail.transcript.text.slice(offer.quote.start, offer.quote.end), start: offer.quote.start, end: offer.quote.end })));
        expect(marks.map((mark) => mark.text)).toEqual(["a warranty", "a case"]);
        // The categories are named in the page's language, whatever the dialogue's.
        expect(await page.$$eval("#offers li b", (nodes) => nodes.map((node) => node.textContent))).toEqual(
          language === "ru" ? ["Гарантия и страховка", "Аксессуары"] : ["Warranty and insurance", "Accessories"],
        );
        await expectUsablePage(page, `dialogue ${language} ${viewport}`);
        if (language === "en" && viewport === "desktop") {
          await page.waitForFunction("document.getElementById('audio').readyState >= 1");
          expect(await page.evaluate("document.getElementById('audio').duration")).toBeCloseTo(3, 1);
          // "a case" starts at its share of the one 3-second segment.
          const caseStart = text.indexOf("a case");
          await page.click("#offers button[data-quote-start='" + caseStart + "']");
          await page.waitForFunction(`Math.abs(document.getElementById('audio').currentTime - ${(caseStart / text.length) * 3}) < 0.1`);
        }
        expect(errors).toEqual([]);
        await page.context().close();
      }
    }
  }, 180_000);

  test("with the admin token the recording comes through fetch and still seeks", async () => {
    const { id, text } = await insertHeardDialogue();
    const { page, errors } = await openPage();
    await signInWithAdminToken(page);
    await page.goto(`${server.url}/dialogues/${id}`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.getAttribute("#audio", "src")).toStartWith("blob:");
    await page.waitForFunction("document.getElementById('audio').readyState >= 1");
    const warrantyStart = text.indexOf("a warranty");
    await page.click(`#transcript-text mark[data-start='${warrantyStart}']`);
    await page.waitForFunction(`Math.abs(document.getElementById('audio').currentTime - ${(warrantyStart / text.length) * 3}) < 0.1`);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});

describe("what works, points and recorders", () => {
  test("what works: the phrases per category equal the API's, link to their dialogues and to the list of them", async () => {
    const { page, errors } = await openSignedIn(`/what-works?from=2026-05-08&to=2026-05-14`);
    const api = (await (await core.admin("/api/v1/analytics/what-works?from=2026-05-08&to=2026-05-14")).json()) as { categories: Array<{ category: string; phrases: Array<{ phrase: string; dialogues: Array<{ dialogue_id: string }> }> }> };
    // From the fixture: "гарантию" was offered twice and accepted twice; "чехол" was never accepted.
    expect(api.categories.map((category) => category.category)).toEqual(["warranty"]);
    expect(await page.$$eval("[data-category] h2", (nodes) => nodes.map((node) => node.textContent))).toEqual(["Warranty and insurance"]);
    expect(await page.$$eval("[data-category=warranty] tbody tr", (rows) => rows.map((row) => [...row.querySelectorAll("td")].slice(0, 4).map((cell) => cell.textContent)))).toEqual([["гарантию", "2", "2", "100%"]]);
    const links = await page.$$eval("[data-phrase] ul a", (anchors) => anchors.map((anchor) => anchor.getAttribute("href")));
    expect(links).toEqual(api.categories[0]!.phrases[0]!.dialogues.map((dialogue) => `/dialogues/${dialogue.dialogue_id}`));
    await page.click("[data-phrase] a[data-all]");
    await page.waitForURL(/category=warranty/);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.inputValue("#category")).toBe("warranty");
    expect(await page.inputValue("#q")).toBe("гарантию");
    expect((await page.$$eval("#dialogue-rows tr", (rows) => rows.map((row) => row.getAttribute("data-dialogue-id")))).sort()).toEqual(api.categories[0]!.phrases[0]!.dialogues.map((dialogue) => dialogue.dialogue_id).sort());
    // A period without accepted offers says so.
    await page.goto(`${server.url}/what-works?from=2026-04-01&to=2026-04-02`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.textContent("#what-works-categories .empty b")).toBe("No accepted offers in this period");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("points: each point beside its registers, with the API's figures", async () => {
    const { page, errors } = await openSignedIn(`/points?from=2026-05-08&to=2026-05-14`);
    const cells = await page.$$eval("#point-rows tr", (rows) => rows.map((row) => [...row.querySelectorAll("td")].slice(0, 5).map((cell) => cell.textContent)));
    const percent = (value: number) => new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 }).format(value);
    // Point A: three dialogues, two upsells, qualities 9, 6, 3, one accepted; point B: one, accepted, 8.
    const expected = [
      [pointA, registerA, ["3", percent(2 / 3), "6", "1"]],
      [pointB, registerB, ["1", percent(1), "8", "1"]],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))) as Array<[string, string, string[]]>;
    expect(cells).toEqual(expected.flatMap(([point, register, figures]) => [[`Point ${point.slice(0, 8)}`, ...figures], [`Register ${register.slice(0, 8)}`, ...figures]]));
    expect(await page.getAttribute(`tr[data-point-id='${pointA}'] a`, "href")).toBe(`/dialogues?from=2026-05-08&to=2026-05-14&point_id=${pointA}`);
    // A register's link lists its dialogues only, and the list's form keeps the register.
    await page.click(`tr[data-register-id='${registerB}'] a`);
    await page.waitForURL(/register_id=/);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.$$eval("#dialogue-rows tr", (rows) => rows.length)).toBe(1);
    await page.click("#show");
    await page.waitForURL(/register_id=/);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.$$eval("#dialogue-rows tr", (rows) => rows.length)).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("recorders: the silent one in its schedule is stale, the sending one records, with today's coverage", async () => {
    const { page, errors } = await openSignedIn(`/recorders`);
    expect(await page.getAttribute(`tr[data-device-id='${recorderA.deviceId}']`, "data-state")).toBe("stale");
    expect(await page.getAttribute(`tr[data-device-id='${recorderB.deviceId}']`, "data-state")).toBe("recording");
    expect(await page.textContent(`tr[data-device-id='${recorderA.deviceId}'] [data-state]`)).toBe("Stale");
    // 08:00–10:00 local is scheduled so far today: A recorded 08:00–09:00.
    expect(await page.textContent(`tr[data-device-id='${recorderA.deviceId}'] td:last-child`)).toBe("50% (1 h 0 min of 2 h 0 min)");
    const api = (await (await core.admin("/api/v1/analytics/recorders")).json()) as { recorders: Array<{ stale: boolean }> };
    expect(api.recorders.filter((recorder) => recorder.stale)).toHaveLength(1);
    expect(await page.textContent("#recorders-summary")).toBe(`${api.recorders.length} recorders, 1 stale`);
    expect(await page.textContent("#recorders-message b")).toBe("1 stale: in the schedule, nothing sent for 10 minutes");
    expect(await page.getAttribute("#recorder-rows tr", "data-device-id")).toBe(recorderA.deviceId);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  test("a point-limited account sees only its point on what works, points and recorders", async () => {
    const { page, errors } = await openPage();
    await signInAsOperator(page, manager);
    await page.goto(`${server.url}/what-works?from=2026-05-08&to=2026-05-14`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.$$eval("[data-category=warranty] tbody td.number", (cells) => cells.slice(0, 2).map((cell) => cell.textContent))).toEqual(["1", "1"]);
    expect(await page.$$eval("#point option", (options) => options.map((option) => option.value))).toEqual(["", pointA]);
    await page.goto(`${server.url}/what-works?from=2026-05-08&to=2026-05-14&point_id=${pointB}`);
    await page.waitForSelector("#what-works-message.bad");
    await page.goto(`${server.url}/points?from=2026-05-08&to=2026-05-14`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.$$eval("#point-rows tr[data-point-id]", (rows) => rows.map((row) => row.getAttribute("data-point-id")))).toEqual([pointA]);
    await page.goto(`${server.url}/recorders`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.$$eval("#recorder-rows tr", (rows) => rows.map((row) => row.getAttribute("data-device-id")))).toEqual([recorderA.deviceId]);
    expect(errors.filter((error) => !/403/.test(error))).toEqual([]);
    await page.context().close();
  }, 60_000);

  for (const viewport of ["desktop", "phone"] as const) {
    for (const language of ["en", "ru"] as const) {
      test(`${viewport}, ${language}: what works, points and recorders fit, pass axe and the keyboard walk`, async () => {
        const { page, errors } = await openPage(viewport, language === "ru" ? "ru-RU" : "en-US");
        await signInAsOperator(page);
        for (const [path, heading] of [
          ["/what-works?from=2026-05-08&to=2026-05-14", language === "ru" ? "Что работает" : "What works"],
          ["/points?from=2026-05-08&to=2026-05-14", language === "ru" ? "Точки и кассы" : "Points and registers"],
          ["/recorders", language === "ru" ? "Регистраторы" : "Recorders"],
        ] as const) {
          await page.goto(`${server.url}${path}`);
          await page.waitForSelector("body[data-loaded=true]");
          expect(await page.textContent("h1")).toBe(heading);
          await expectUsablePage(page, `${path} ${viewport} ${language}`);
        }
        expect(errors).toEqual([]);
        await page.context().close();
      }, 120_000);
    }
  }
});

describe("the dialogue list through the page", () => {
  const rowIds = (page: Page) => page.$$eval("#dialogue-rows tr", (rows) => rows.map((row) => row.getAttribute("data-dialogue-id")));

  test("the category filter and the search box narrow the list as the API does", async () => {
    const { page, errors } = await openSignedIn(`/dialogues?from=2026-05-08&to=2026-05-14`);
    await page.selectOption("#category", "accessory");
    await page.click("#show");
    await page.waitForURL(/category=accessory/);
    await page.waitForSelector("body[data-loaded=true]");
    const accessory = (await (await core.admin("/api/v1/dialogues?from=2026-05-08&to=2026-05-14&category=accessory")).json()) as { dialogues: Array<{ dialogue_id: string }> };
    expect(accessory.dialogues).toHaveLength(1);
    expect(await rowIds(page)).toEqual(accessory.dialogues.map((row) => row.dialogue_id));
    await page.selectOption("#category", "");
    await page.fill("#q", "телефону");
    await page.press("#q", "Enter");
    await page.waitForURL(/q=/);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await rowIds(page)).toHaveLength(4);
    await page.fill("#q", "десерт");
    await page.press("#q", "Enter");
    await page.waitForURL(/q=%D0%B4/);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await rowIds(page)).toEqual([]);
    expect(await page.textContent("#dialogues-message .empty b")).toBe("No dialogues match");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  for (const way of ["session", "token"] as const) {
    test(`with the ${way}, "Export CSV" downloads the rows the list shows, with the same filters`, async () => {
      const { page, errors } = await openPage();
      if (way === "session") await signInAsOperator(page);
      else await signInWithAdminToken(page);
      await page.goto(`${server.url}/dialogues?from=2026-05-08&to=2026-05-14&upsell=true&category=warranty&sort=time_asc`);
      await page.waitForSelector("body[data-loaded=true]");
      const shown = await rowIds(page);
      expect(shown).toHaveLength(2);
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#csv")]);
      const lines = (await readFile((await download.path())!, "utf8")).trim().split("\r\n");
      expect(lines[0]).toStartWith("dialogue_id,point_id,");
      expect(lines.slice(1).map((line) => line.split(",")[0])).toEqual(shown);
      expect(errors).toEqual([]);
      await page.context().close();
    }, 60_000);
  }
});

describe("re-analysis from the dialogue page", () => {
  test("an admin asks for it and sees that it is queued; a viewer has no button", async () => {
    const { id } = await insertHeardDialogue();
    const { page, errors } = await openPage();
    await signInAsOperator(page, boss);
    await page.goto(`${server.url}/dialogues/${id}`);
    await page.waitForSelector("body[data-loaded=true]");
    await page.click("#reanalyse");
    await page.waitForSelector("#reanalyse-message.ok");
    expect(await page.textContent("#reanalyse-message")).toBe("Queued for analysisPass 2 is queued; this page shows it once it is done.");
    expect(await page.getAttribute("#reanalyse-message", "role")).toBe("status");
    await page.click("#reanalyse");
    await page.waitForSelector("#reanalyse-message.ok:has-text('already queued')");
    await expectUsablePage(page, "dialogue with re-analysis");
    expect(errors).toEqual([]);
    await page.context().close();

    const viewer = await openPage();
    await signInAsOperator(viewer.page);
    await viewer.page.goto(`${server.url}/dialogues/${id}`);
    await viewer.page.waitForSelector("body[data-loaded=true]");
    expect(await viewer.page.isVisible("#reanalyse")).toBe(false);
    expect(viewer.errors).toEqual([]);
    await viewer.page.context().close();
  }, 90_000);

  test("with the admin token the button is there and queues the analysis", async () => {
    const { id } = await insertHeardDialogue();
    const { page, errors } = await openPage("phone", "ru-RU");
    await signInWithAdminToken(page);
    await page.goto(`${server.url}/dialogues/${id}`);
    await page.waitForSelector("body[data-loaded=true]");
    await page.click("#reanalyse");
    await page.waitForSelector("#reanalyse-message.ok");
    expect(await page.textContent("#reanalyse-message b")).toBe("Поставлено в очередь на анализ");
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});
