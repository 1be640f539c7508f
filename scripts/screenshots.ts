/**
 * Screenshots of every page at desktop (1366×800) and phone (390×844) sizes, in English and Russian,
 * written to docs/screenshots/ for the README: bun scripts/screenshots.ts [edge|core]
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

if (import.meta.main) {
  const only = process.argv[2];
  for (const path of [...(only === "core" ? [] : await takeScreenshots()), ...(only === "edge" ? [] : await takeCoreScreenshots())]) console.log(`wrote ${path}`);
}
