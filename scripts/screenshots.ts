/**
 * Screenshots of every page at desktop (1366×800) and phone (390×844) sizes, in English and Russian,
 * written to docs/screenshots/ for the README: bun scripts/screenshots.ts [edge|core|studio|live]
 * (`core` takes the studio's and the live pages' too).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { type RunningHttpServer, startHttpServer } from "../shared/runtime/http-server.ts";
import { launchChromium, openIsolatedContext, type ViewportName } from "../shared/testing/chromium.ts";
import { makeTempDir } from "../shared/testing/temp-dir.ts";
import { buildPagePackages } from "../edge/testing/edge-page-fixture.ts";
import { createEdgeTestEnvironment, importPackage, signInAsOperator, testOperator } from "../edge/testing/edge-test-kit.ts";
import { addOperator } from "../shared/accounts/accounts.usecases.ts";
import { silentLogger } from "../shared/log/logger.ts";
import { createCoreAccounts } from "../core/operators/operator-accounts.ts";
import { insertDashboardMonth, insertDashboardRecorders } from "../core/testing/dashboard-fixture.ts";
import { createTestCore } from "../core/testing/core-test-app.ts";
import { openDialerBench } from "../core/dialer/testing/dialer-test-kit.ts";
import { systemClock } from "../shared/runtime/clock.ts";
import type { FakeClock } from "../shared/testing/fake-clock.ts";
import { waitUntil } from "../shared/testing/wait-until.ts";
import { createStudioCampaign, generateStudioCampaign, startStudioPipeline, type StudioFixtureCampaign } from "../core/testing/studio-fixture.ts";

const outDirectory = join(import.meta.dir, "..", "docs", "screenshots");

async function signIn(page: Page, server: RunningHttpServer): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.fill("#username", testOperator.username);
  await page.fill("#password", testOperator.password);
  await page.click("#sign-in-button");
  await page.waitForURL(`${server.url}/dashboard`);
}

export async function takeScreenshots(): Promise<string[]> {
  mkdirSync(outDirectory, { recursive: true });
  const dir = makeTempDir();
  const edge = await createEdgeTestEnvironment();
  const server = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
  const browser = await launchChromium();
  const written: string[] = [];
  try {
    await signInAsOperator(edge);
    const packages = await buildPagePackages(dir);
    await importPackage(edge, packages.spring);
    await importPackage(edge, packages.broken);
    await importPackage(edge, packages.silent);
    await importPackage(edge, packages.summer);
    const shoot = async (page: Page, name: string, language: string, viewport: ViewportName) => {
      const path = join(outDirectory, `edge-${name}-${language}-${viewport}.png`);
      await page.screenshot({ path });
      written.push(path);
    };
    for (const language of ["en", "ru"] as const) {
      for (const viewport of ["desktop", "phone"] as const) {
        const context = await openIsolatedContext(browser, server.url, viewport, language === "ru" ? "ru-RU" : "en-US");
        const page = await context.newPage();
        await page.goto(`${server.url}/login?lang=${language}`);
        await shoot(page, "sign-in", language, viewport);
        await signIn(page, server);
        await page.waitForSelector("#leads tr[data-lead-id]");
        await page.waitForSelector("#history tr[data-import-id]");
        await shoot(page, "dashboard", language, viewport);
        await page.click("#leads tr[data-lead-id] button");
        await page.waitForSelector("dialog[open]");
        await shoot(page, "lead-detail", language, viewport);
        await page.keyboard.press("Escape");
        await page.goto(`${server.url}/importer`);
        await page.waitForSelector("#history tr[data-import-id]");
        await page.setInputFiles("#package", packages.spring);
        await page.click("#upload");
        await page.waitForSelector("dialog[open] [data-goes-live]");
        await shoot(page, "importer-confirm", language, viewport);
        await page.keyboard.press("Escape");
        await page.click("#history tr[data-import-id='2'] button");
        await page.waitForSelector("#report [data-outcome]");
        await shoot(page, "importer-refused", language, viewport);
        await page.click("#history tr[data-import-id='3'] button");
        await page.waitForSelector("#report [data-outcome=deployed]");
        await shoot(page, "importer-report", language, viewport);
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await server.stop();
    await edge.dispose();
    dir.remove();
  }
  return written;
}

/** The core's dashboard on a month of seeded dialogues: sign-in, the overview, the dialogue list, one dialogue, what works, points and recorders. */
export async function takeCoreScreenshots(): Promise<string[]> {
  mkdirSync(outDirectory, { recursive: true });
  const core = await createTestCore();
  const places = await insertDashboardMonth(core.database.db);
  await insertDashboardRecorders(core.database.db, (place) => core.registerDevice(place), places, core.clock.now());
  const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
  await addOperator(accounts, testOperator.username, testOperator.password, { role: "admin", scope: null });
  const server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
  const browser = await launchChromium();
  const written: string[] = [];
  try {
    for (const language of ["en", "ru"] as const) {
      for (const viewport of ["desktop", "phone"] as const) {
        const context = await openIsolatedContext(browser, server.url, viewport, language === "ru" ? "ru-RU" : "en-US");
        const page = await context.newPage();
        const shoot = async (name: string) => {
          const path = join(outDirectory, `core-${name}-${language}-${viewport}.png`);
          await page.screenshot({ path, fullPage: name !== "sign-in" });
          written.push(path);
        };
        await page.goto(`${server.url}/login?lang=${language}`);
        await shoot("sign-in");
        await signIn(page, server);
        await page.goto(`${server.url}/dashboard?period=month&to=2026-05-31`);
        await page.waitForSelector("body[data-loaded=true]");
        await shoot("overview");
        await page.goto(`${server.url}/dialogues?from=2026-05-25&to=2026-05-31&upsell=true&limit=8`);
        await page.waitForSelector("body[data-loaded=true]");
        await shoot("dialogues");
        await page.click("#dialogue-rows tr a");
        await page.waitForSelector("body[data-loaded=true] #transcript-text mark");
        await shoot("dialogue");
        await page.goto(`${server.url}/what-works?from=2026-05-01&to=2026-05-31`);
        await page.waitForSelector("body[data-loaded=true]");
        await shoot("what-works");
        await page.goto(`${server.url}/points?from=2026-05-01&to=2026-05-31`);
        await page.waitForSelector("body[data-loaded=true]");
        await shoot("points");
        await page.goto(`${server.url}/recorders`);
        await page.waitForSelector("body[data-loaded=true]");
        await shoot("recorders");
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await server.stop();
    core.dispose();
  }
  return written;
}

/** The studio's campaigns, in each language one generated with a lead that lacks a field. */
export const studioScreenshotCampaigns: Record<"en" | "ru", StudioFixtureCampaign> = {
  en: {
    id: "SPRING-2026",
    name: "Spring fibre offer",
    language: "en",
    csv: "lead_id,vendor_lead_code,phone_number,first_name,city\r\n3001,A-1,+1 512 555 0100,Maria,Austin\r\n3002,A-2,+1 512 555 0101,James,Dallas\r\n3003,A-3,+1 512 555 0102,,Houston\r\n",
    slots: { greeting: "Hello {first_name}! This is Spring Fibre in {city}.", offer: "Our fibre costs forty nine dollars a month.", voicemail: "Sorry we missed you, {first_name}. Call us back any time." },
  },
  ru: {
    id: "VESNA-2026",
    name: "Весеннее предложение",
    language: "ru",
    csv: "lead_id,vendor_lead_code,phone_number,first_name,city\r\n4001,B-1,+7 912 555 0100,Мария,Казань\r\n4002,B-2,+7 912 555 0101,Иван,Самара\r\n4003,B-3,+7 912 555 0102,,Пермь\r\n",
    slots: { greeting: "Здравствуйте, {first_name}! Это Весна-Телеком, город {city}.", offer: "Наш интернет стоит четыреста девяносто рублей в месяц.", voicemail: "{first_name}, мы не застали вас. Перезвоните нам." },
  },
};

/** The studio: the campaign list, a campaign with a refused leads file, its review and the text editor. */
export async function takeStudioScreenshots(): Promise<string[]> {
  mkdirSync(outDirectory, { recursive: true });
  const core = await createTestCore();
  const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
  await addOperator(accounts, testOperator.username, testOperator.password, { role: "admin", scope: null });
  const pipeline = startStudioPipeline(core);
  const server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
  const browser = await launchChromium();
  const written: string[] = [];
  const dir = makeTempDir();
  try {
    for (const campaign of Object.values(studioScreenshotCampaigns)) await generateStudioCampaign(core, campaign);
    await createStudioCampaign(core, { id: "SUMMER-2026", name: "Summer / Лето", language: "en", csv: "lead_id,phone_number,first_name\r\n1,5125550100,Ann\r\n", slots: { greeting: "Hello {first_name}." } });
    const badCsv = join(dir.path, "leads.csv");
    await Bun.write(badCsv, "lead_id,phone_number,first_name\r\n1,5125550100,Ann\r\nx,5125550101,Bob\r\n3,,Eve\r\n");
    for (const language of ["en", "ru"] as const) {
      const campaign = studioScreenshotCampaigns[language];
      for (const viewport of ["desktop", "phone"] as const) {
        const context = await openIsolatedContext(browser, server.url, viewport, language === "ru" ? "ru-RU" : "en-US");
        const page = await context.newPage();
        const shoot = async (name: string, fullPage = true) => {
          const path = join(outDirectory, `core-${name}-${language}-${viewport}.png`);
          await page.screenshot({ path, fullPage });
          written.push(path);
        };
        await page.goto(`${server.url}/login?lang=${language}`);
        await signIn(page, server);
        await page.goto(`${server.url}/studio`);
        await page.waitForSelector("body[data-loaded=true]");
        await shoot("studio");
        await page.goto(`${server.url}/studio/${campaign.id}`);
        await page.waitForSelector("body[data-loaded=true]");
        await page.setInputFiles("#leads-file", badCsv);
        await page.click("#upload");
        await page.waitForSelector("#leads-message.bad li");
        await shoot("studio-campaign");
        await page.goto(`${server.url}/studio/${campaign.id}/review`);
        await page.waitForSelector("body[data-loaded=true]");
        await shoot("studio-review");
        await page.click(".lead-block[data-state=failed] button[data-edit=greeting]");
        await page.waitForSelector("dialog[open]");
        await shoot("studio-edit", false);
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await server.stop();
    await pipeline.stop();
    core.dispose();
    dir.remove();
  }
  return written;
}

/** The live pages: a listening room after a message has played, and the agent console of a Twilio campaign before its agent joins. */
export async function takeLiveScreenshots(): Promise<string[]> {
  mkdirSync(outDirectory, { recursive: true });
  // The room plays on the machine's clock, as it does in production.
  const realClock: FakeClock = { ...systemClock, advance: () => Promise.reject(new Error("real clock")), set: () => Promise.reject(new Error("real clock")), pendingSleeps: () => 0 };
  const core = await createTestCore({ ROOM_SCHEDULE_LEAD_MS: "500" }, { clock: realClock });
  const dialer = await openDialerBench(() => ({ answer: "human", talkMs: 1_000 }));
  const written: string[] = [];
  const browser = await launchChromium();
  const roomServer = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
  const dialerServer = startHttpServer({ fetch: dialer.core.app.fetch, hostname: "127.0.0.1", port: 0 });
  try {
    for (const target of [core, dialer.core]) {
      const accounts = createCoreAccounts({ config: target.config, db: target.database.db as never, clock: target.clock, logger: silentLogger });
      await addOperator(accounts, testOperator.username, testOperator.password, { role: "admin", scope: null });
    }
    const rooms = { en: "SPRING-2026", ru: "VESNA-2026" } as const;
    const messages = { en: "Good morning. Fibre now costs forty nine dollars a month.", ru: "Доброе утро. Интернет теперь стоит четыреста девяносто рублей в месяц." } as const;
    for (const language of ["en", "ru"] as const) {
      await core.admin("/api/v1/studio/campaigns", { method: "POST", body: JSON.stringify({ id: rooms[language], name: language === "en" ? "Spring offer" : "Весеннее предложение", language }) });
      await core.admin(`/api/campaigns/${rooms[language]}/audio/requests`, { method: "POST", body: JSON.stringify({ text: messages[language] }) });
      await waitUntil("the message to play", async () => ((await (await core.admin(`/api/campaigns/${rooms[language]}/audio/queue`)).json()) as { finished: unknown[] }).finished.length > 0, 60_000, 200);
    }
    const campaigns = {
      en: (await dialer.json("POST", "/api/campaign", { name: "Spring offer", contacts: [{ phone_number: "+15551230001", name: "Maria" }, { phone_number: "+15551230002", name: "James" }] })).body.id as string,
      ru: (await dialer.json("POST", "/api/campaign", { name: "Весеннее предложение", contacts: [{ phone_number: "+79125550100", name: "Мария" }] })).body.id as string,
    };
    for (const language of ["en", "ru"] as const) {
      for (const viewport of ["desktop", "phone"] as const) {
        for (const [name, server, path] of [["room", roomServer, `/rooms/${rooms[language]}`], ["dialer-console", dialerServer, `/dialer/${campaigns[language]}`]] as const) {
          const context = await openIsolatedContext(browser, server.url, viewport, language === "ru" ? "ru-RU" : "en-US");
          const page = await context.newPage();
          await page.goto(`${server.url}/login?lang=${language}`);
          await signIn(page, server);
          await page.goto(`${server.url}${path}`);
          await page.waitForSelector("body[data-loaded=true]");
          if (name === "room") await page.waitForSelector("#queue-rows tr[data-status=COMPLETED]");
          const file = join(outDirectory, `core-${name}-${language}-${viewport}.png`);
          await page.screenshot({ path: file, fullPage: true });
          written.push(file);
          await context.close();
        }
      }
    }
  } finally {
    await browser.close();
    await roomServer.stop();
    await dialerServer.forceStop();
    await dialer.dispose();
    core.dispose();
  }
  return written;
}

if (import.meta.main) {
  const only = process.argv[2];
  const takers: Record<string, () => Promise<string[]>> = { edge: takeScreenshots, core: takeCoreScreenshots, studio: takeStudioScreenshots, live: takeLiveScreenshots };
  for (const [name, take] of Object.entries(takers)) {
    if (only && only !== name && !(only === "core" && (name === "studio" || name === "live"))) continue;
    for (const path of await take()) console.log(`wrote ${path}`);
  }
}
