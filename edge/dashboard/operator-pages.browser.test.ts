import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { encodePcmWav } from "../../shared/audio/wav-format.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { defaultSpeechCache } from "../../scripts/campaign-package/generate-campaign-package.ts";
import { createSpeechSynthesizer } from "../../scripts/campaign-package/speech-synthesizer.ts";
import { addOperator } from "../operators/operators.usecases.ts";
import { buildTestPackage, createEdgeTestEnvironment, type EdgeTestEnvironment, testOperator, writeHandmadePackage } from "../testing/edge-test-kit.ts";

let dir: TempDir;
let edge: EdgeTestEnvironment;
let server: RunningHttpServer;
let browser: Browser;
const consoleErrors: string[] = [];

beforeAll(async () => {
  dir = makeTempDir();
  edge = await createEdgeTestEnvironment();
  await addOperator(edge.runtime.operators, testOperator.username, testOperator.password);
  server = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  });
});
afterAll(async () => {
  await browser?.close();
  await server.stop();
  await edge.dispose();
  dir.remove();
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  // Nothing may come from the network: every request must be this edge's.
  await page.route("**/*", (route) => (route.request().url().startsWith(server.url) ? route.continue() : route.abort()));
  return page;
}

async function uploadAndWait(page: Page, path: string): Promise<string> {
  await page.goto(`${server.url}/importer`);
  await page.setInputFiles("#package", path);
  await page.click("#upload");
  await page.waitForSelector("#report [data-outcome]", { timeout: 60_000 });
  return (await page.getAttribute("#report [data-outcome]", "data-outcome"))!;
}

test("an operator signs in, imports packages with progress and reports, previews leads, plays audio and rolls back", async () => {
  const first = await buildTestPackage(dir, "spring.zip", { leads: 300, audioFiles: 12, campaignId: "SPRING", campaignName: "Spring upgrade" });
  const second = await buildTestPackage(dir, "summer.zip", { leads: 80, audioFiles: 6, campaignId: "SUMMER", campaignName: "Summer offer", leadIdStart: 5001 });
  const speech = createSpeechSynthesizer({ cacheDirectory: defaultSpeechCache });
  writeFileSync(dir.join("speech.wav"), encodePcmWav(await speech.speak("Hello Maria.")));
  await runCommand("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", dir.join("speech.wav"), "-c:a", "libmp3lame", dir.join("speech.mp3")]);
  const mp3 = new Uint8Array(await Bun.file(dir.join("speech.mp3")).arrayBuffer());
  const broken = writeHandmadePackage(dir, "broken.zip", {
    campaignId: "BROKEN",
    leads: "lead_id,phone_number,audio_greeting\r\n1,5125550100,greeting/a\r\n2,not-a-phone,greeting/a\r\n",
    audio: { "audio/greeting/a.wav": mp3 },
  });

  const page = await openPage();
  await page.goto(`${server.url}/dashboard`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill("#username", testOperator.username);
  await page.fill("#password", "wrong password here");
  await page.click("button[type=submit]");
  await page.waitForSelector("#message:has-text('wrong username or password')");
  // The browser logs the refused sign-in's 401; from here on no request may fail and no script may throw.
  consoleErrors.length = 0;
  await page.fill("#password", testOperator.password);
  await page.click("button[type=submit]");
  await page.waitForURL(`${server.url}/dashboard`);
  await page.waitForSelector("#campaign-title:has-text('No campaign deployed yet')");
  expect(await page.textContent("#who")).toBe("olga");

  // Upload: the progress bars move, then the report says what went live.
  expect(await uploadAndWait(page, first.path)).toBe("deployed");
  expect(await page.isVisible("#upload-stage")).toBe(true);
  expect(await page.getAttribute("#upload-progress", "value")).toBe("100");
  expect(await page.textContent("#report")).toContain('Campaign SPRING "Spring upgrade" is live');
  expect(await page.textContent("#report .figures")).toContain("300leads");

  // A broken package: refused, with every problem named; nothing changes.
  expect(await uploadAndWait(page, broken)).toBe("rejected");
  const problems = await page.$$eval("#report [data-testid=problems] li", (items) => items.map((item) => `${item.getAttribute("data-code")}: ${item.textContent}`));
  expect(problems.some((problem) => problem.startsWith("audio.not_wav:") && problem.includes("audio/greeting/a.wav is an MP3 file"))).toBe(true);
  expect(problems.some((problem) => problem.startsWith("leads.invalid_field:") && problem.includes("row 2 (line 3), column phone_number"))).toBe(true);
  expect(edge.runtime.deployment.served.current().active!.campaignId).toBe("SPRING");

  expect(await uploadAndWait(page, second.path)).toBe("deployed");
  expect(await page.$$eval("#history tr", (rows) => rows.length)).toBe(3);

  // Dashboard: summary, search, and a player that really plays.
  await page.goto(`${server.url}/dashboard`);
  await page.waitForSelector("#campaign-title:has-text('Summer offer')");
  expect(await page.textContent("[data-figure=leads]")).toContain("80");
  await page.waitForSelector("#leads tr");
  expect(await page.textContent("#page-text")).toBe("page 1 of 4");
  await page.click("#next-page");
  await page.waitForSelector("#page-text:has-text('page 2 of 4')");
  expect(await page.getAttribute("#leads tr:first-child", "data-lead-id")).toBe("5026");
  await page.fill("#search", "V00005007");
  await page.click("#search-form button");
  await page.waitForSelector("#lead-count:has-text('1 lead matching')");
  const played = await page.$eval("#leads tr[data-lead-id='5007'] audio[data-slot=greeting]", async (element) => {
    const audio = element as unknown as { play(): Promise<void>; pause(): void; duration: number; currentTime: number; error: { code: number } | null };
    await audio.play();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const result = { duration: audio.duration, currentTime: audio.currentTime, error: audio.error?.code ?? null };
    audio.pause();
    return result;
  });
  expect(played.error).toBeNull();
  expect(played.duration).toBeGreaterThan(1);
  expect(played.currentTime).toBeGreaterThan(0);

  // The history's reports, and the rollback button.
  await page.click("#history tr:nth-child(2) button");
  await page.waitForSelector("#history-report [data-outcome=rejected]");
  page.once("dialog", (dialog) => void dialog.accept());
  await page.click("#rollback");
  await page.waitForSelector("#rollback-message:has-text('is live again')");
  await page.waitForSelector("#campaign-title:has-text('Spring upgrade')");
  expect(edge.runtime.deployment.served.current().active!.campaignId).toBe("SPRING");

  await page.click("#sign-out");
  await page.waitForURL(`${server.url}/login`);
  expect(consoleErrors).toEqual([]);
});
