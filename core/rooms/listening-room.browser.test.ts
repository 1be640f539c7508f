import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { addOperator, logIn } from "../../shared/accounts/accounts.usecases.ts";
import { sessionCookieNameOf } from "../../shared/accounts/operator-session.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { collectPageErrors, launchChromium, openIsolatedContext, pageUsability, usablePage } from "../../shared/testing/chromium.ts";
import type { FakeClock } from "../../shared/testing/fake-clock.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { createCoreAccounts } from "../operators/operator-accounts.ts";
import { createTestCore, type TestCore } from "../testing/core-test-app.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";

/** The room's timeline runs on the machine's clock here: the pages play it in real time. */
const realClock: FakeClock = {
  ...systemClock,
  advance: () => Promise.reject(new Error("the real clock cannot be moved")),
  set: () => Promise.reject(new Error("the real clock cannot be moved")),
  pendingSleeps: () => 0,
};

const operator = { username: "planner", password: "planner-password-12" };
const campaignId = "SPRING";
const message = [
  "Good morning, this is the spring offer for every customer.",
  "Fibre internet now costs forty nine dollars a month.",
  "The first three months come with a free router.",
  "Installation is free when you order before the end of May.",
  "Ask any of our sellers for the details today.",
].join(" ");

let core: TestCore;
let server: RunningHttpServer;
let browser: Browser;
let speech: OpenAiCompatibleServer;
let sessionToken: string;
let releaseHeld: () => void = () => {};

interface Scheduled {
  chunk_id: string;
  sequence: number;
  play_wall: number;
  offset_ms: number;
  full: boolean;
}

beforeAll(async () => {
  speech = await startOpenAiCompatibleServer({ corpus: ["hello"] });
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  speech.setSpeechBehaviour((request) => (request.input.includes("held back") ? { until: held } : null));
  core = await createTestCore({ TTS_BASE_URL: speech.baseUrl, ROOM_SCHEDULE_LEAD_MS: "3000" }, { clock: realClock });
  const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
  await addOperator(accounts, operator.username, operator.password, { role: "viewer", scope: null });
  sessionToken = (await logIn(accounts, { username: operator.username, password: operator.password, remoteAddress: "127.0.0.1" })).token;
  expect((await core.admin("/api/v1/studio/campaigns", { method: "POST", body: JSON.stringify({ id: campaignId, name: "Spring offer", language: "en" }) })).status).toBe(201);
  server = startHttpServer({ fetch: (request, bindings) => core.app.fetch(request, bindings), hostname: "127.0.0.1", port: 0 });
  browser = await launchChromium();
});
afterAll(async () => {
  releaseHeld();
  await browser?.close();
  await server?.stop();
  await speech?.stop();
  core?.dispose();
});

async function openRoom(options: { listen?: string } = {}): Promise<{ page: Page; errors: string[] }> {
  const context = await openIsolatedContext(browser, server.url, "desktop");
  if (!options.listen) await context.addCookies([{ name: sessionCookieNameOf("core"), value: sessionToken, url: server.url, httpOnly: true, sameSite: "Strict" }]);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/rooms/${campaignId}${options.listen ? `?listen=${options.listen}` : ""}`);
  await page.waitForSelector("body[data-loaded=true]");
  await page.waitForSelector("#room-status:has-text('offset')");
  return { page, errors };
}

const scheduleOf = (page: Page) => page.evaluate("window.roomSchedule") as Promise<Scheduled[]>;

async function currentChunks(): Promise<Array<{ chunk_id: string; start_at: number; duration_ms: number }>> {
  const queue = (await (await core.admin(`/api/campaigns/${campaignId}/audio/queue`)).json()) as any;
  return queue.current?.chunks ?? [];
}

describe("the listening room in Chromium", () => {
  test("two pages and one that joins late play every chunk within 20 ms of each other and of the server's timeline", async () => {
    const first = await openRoom();
    const second = await openRoom();
    expect(await first.page.isVisible("#send")).toBe(true);
    expect({ name: "room", ...(await pageUsability(first.page)) }).toEqual({ name: "room", ...usablePage });
    // Nothing sent yet: the queue says so and what to do, instead of showing an empty table.
    expect(await first.page.textContent("#queue-empty")).toContain("Nothing has been sent to this room yet.");
    expect(await first.page.textContent("#queue-empty")).toContain("Play to the room");
    expect(await first.page.isVisible("#queue-rows-table")).toBe(false);
    expect(await first.page.textContent("#links-none")).toBe("No links yet: only signed-in operators can open this room.");
    expect(await first.page.isVisible("#link-rows-table")).toBe(false);

    // The first page sends the message through its own form.
    await first.page.fill("#message-text", message);
    await first.page.click("#send-button");
    await first.page.waitForSelector("#room-message:has-text('Queued')");
    await first.page.waitForSelector("#queue-rows tr[data-request-id]");
    expect(await first.page.isVisible("#queue-empty .empty")).toBe(false);

    // The late page joins while the message plays, through a listen-only link.
    await waitUntil("the first sentence to start playing", async () => {
      const chunks = await currentChunks();
      return chunks.length >= 1 && Date.now() > chunks[0]!.start_at + 300;
    }, 60_000, 50);
    const link = (await (await core.admin(`/api/campaigns/${campaignId}/audio/listen-links`, { method: "POST", body: JSON.stringify({ label: "Late client" }) })).json()) as { token: string };
    const late = await openRoom({ listen: link.token });
    expect(await late.page.isVisible("#send")).toBe(false);

    const chunks = await (async () => {
      await waitUntil("all five sentences", async () => (await currentChunks()).length === 5, 60_000, 100);
      return currentChunks();
    })();
    await waitUntil("every page to schedule what it can play", async () => {
      const [a, b, c] = await Promise.all([scheduleOf(first.page), scheduleOf(second.page), scheduleOf(late.page)]);
      return a.length === 5 && b.length === 5 && c.some((entry) => entry.sequence === 4);
    }, 30_000, 100);
    // Chunks are decoded side by side, so a page may schedule a later one first.
    const [a, b, c] = (await Promise.all([scheduleOf(first.page), scheduleOf(second.page), scheduleOf(late.page)])).map((schedule) => schedule.sort((x, y) => x.sequence - y.sequence)) as [Scheduled[], Scheduled[], Scheduled[]];
    const bySequence = (schedule: Scheduled[]) => new Map(schedule.map((entry) => [entry.sequence, entry]));
    const [mapA, mapB] = [bySequence(a), bySequence(b)];
    for (const chunk of chunks) {
      const sequence = chunks.indexOf(chunk);
      expect(mapA.get(sequence)).toMatchObject({ chunk_id: chunk.chunk_id, full: true });
      expect(mapB.get(sequence)).toMatchObject({ chunk_id: chunk.chunk_id, full: true });
      expect(Math.abs(mapA.get(sequence)!.play_wall - mapB.get(sequence)!.play_wall)).toBeLessThanOrEqual(20);
      expect(Math.abs(mapA.get(sequence)!.play_wall - chunk.start_at)).toBeLessThanOrEqual(20);
    }
    // The late page skipped what had ended, came in part-way through the sentence that was playing, and played the rest in step.
    const joinedAt = c[0]!.sequence;
    expect(c.map((entry) => entry.sequence)).toEqual([0, 1, 2, 3, 4].slice(joinedAt));
    expect(c[0]).toMatchObject({ chunk_id: chunks[joinedAt]!.chunk_id, full: false });
    expect(c[0]!.offset_ms).toBeGreaterThan(0);
    expect(joinedAt).toBeLessThan(4);
    for (const entry of c.slice(1)) {
      expect(entry).toMatchObject({ chunk_id: chunks[entry.sequence]!.chunk_id, full: true });
      expect(Math.abs(entry.play_wall - mapA.get(entry.sequence)!.play_wall)).toBeLessThanOrEqual(20);
    }
    for (const page of [first, second, late]) expect(page.errors).toEqual([]);
    await Promise.all([first, second, late].map((page) => page.page.context().close()));
  }, 120_000);

  test("a plain <audio> element plays a request's stream while it is still being generated", async () => {
    const { page, errors } = await openRoom();
    const created = (await (await core.admin(`/api/campaigns/${campaignId}/audio/requests`, { method: "POST", body: JSON.stringify({ text: "The stream begins with this sentence, which is spoken at once. The second sentence follows it right away. This last one is held back by the speech server." }) })).json()) as { request_id: string; stream_url: string };
    await page.evaluate(`(() => { const audio = document.createElement("audio"); audio.id = "stream"; audio.src = ${JSON.stringify(created.stream_url)}; document.body.append(audio); return audio.play(); })()`);
    await waitUntil("the element to play a second of the stream", async () => (await page.evaluate("document.getElementById('stream').currentTime")) as number > 1, 30_000, 50);
    // Still generating: the last sentence is held, and the element plays what has been spoken so far.
    const queue = (await (await core.admin(`/api/campaigns/${campaignId}/audio/queue`)).json()) as any;
    expect(queue.current).toMatchObject({ request_id: created.request_id, status: "GENERATING" });
    expect(queue.current.chunks).toHaveLength(2);
    expect(await page.evaluate("document.getElementById('stream').ended")).toBe(false);
    releaseHeld();
    await waitUntil("the stream to end", async () => (await page.evaluate("document.getElementById('stream').ended")) === true, 60_000, 50);
    const played = (await page.evaluate("document.getElementById('stream').currentTime")) as number;
    const chunks = (await currentChunks()).length ? await currentChunks() : ((await (await core.admin(`/api/campaigns/${campaignId}/audio/queue`)).json()) as any).finished[0].chunks;
    const total = chunks.reduce((sum: number, chunk: { duration_ms: number }) => sum + chunk.duration_ms, 0) / 1000;
    expect(Math.abs(played - total)).toBeLessThan(0.2);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  test("an operator makes a listen-only link on the page; its holder only listens, and hears nothing more once it is revoked", async () => {
    const { page, errors } = await openRoom();
    await page.fill("#link-label", "Client: Acme");
    await page.click("#link-button");
    await page.waitForSelector("#new-link:not([hidden])");
    const url = await page.inputValue("#new-link-url");
    expect(url).toStartWith(`${server.url}/rooms/${campaignId}?listen=`);
    expect(await page.evaluate("document.activeElement.id")).toBe("new-link-url");
    const row = "#link-rows tr:has-text('Client: Acme')";
    await page.waitForSelector(`${row} [data-state=active]`);
    expect(await page.isVisible("#links-none")).toBe(false);

    const listener = await openRoom({ listen: new URL(url).searchParams.get("listen")! });
    expect(await listener.page.isVisible("#send")).toBe(false);
    expect(await listener.page.isVisible("#links")).toBe(false);
    expect(await listener.page.isVisible("#queue")).toBe(true);

    await page.click(`${row} button[data-revoke]`);
    await page.click("dialog [data-confirm]");
    await page.waitForSelector(`${row} [data-state=revoked]`);
    await listener.page.waitForSelector("#room-message:has-text('revoked')");
    expect(errors).toEqual([]);
    await Promise.all([page.context().close(), listener.page.context().close()]);
  }, 120_000);
});
