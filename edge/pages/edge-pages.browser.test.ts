import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { collectPageErrors, pageUsability, usablePage, horizontalOverflow, launchChromium, openIsolatedContext, seriousAccessibilityViolations, type ViewportName } from "../../shared/testing/chromium.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { importPackageFile } from "../importer/campaign-import.usecases.ts";
import { beginImport } from "../importer/import-lock.ts";
import { addOperator } from "../../shared/accounts/accounts.usecases.ts";
import { buildPagePackages, type PagePackages } from "../testing/edge-page-fixture.ts";
import { createEdgeTestEnvironment, type EdgeTestEnvironment, testOperator } from "../testing/edge-test-kit.ts";

let dir: TempDir;
let packages: PagePackages;
let browser: Browser;

beforeAll(async () => {
  dir = makeTempDir();
  packages = await buildPagePackages(dir);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  dir.remove();
});

interface RunningEdge {
  edge: EdgeTestEnvironment;
  server: RunningHttpServer;
  dispose(): Promise<void>;
}

async function startEdge(): Promise<RunningEdge> {
  const edge = await createEdgeTestEnvironment();
  await addOperator(edge.runtime.operators, testOperator.username, testOperator.password);
  const server = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
  return {
    edge,
    server,
    async dispose() {
      await server.stop();
      await edge.dispose();
    },
  };
}

async function openPage(running: RunningEdge, viewport: ViewportName = "desktop", locale = "en-US"): Promise<{ page: Page; errors: string[] }> {
  const context = await openIsolatedContext(browser, running.server.url, viewport, locale);
  const page = await context.newPage();
  return { page, errors: collectPageErrors(page) };
}

async function signIn(page: Page, running: RunningEdge): Promise<void> {
  await page.goto(`${running.server.url}/login`);
  await page.fill("#username", testOperator.username);
  await page.fill("#password", testOperator.password);
  await page.click("#sign-in-button");
  await page.waitForURL(`${running.server.url}/dashboard`);
}

/** Uploads on the importer page, confirms the dialog, and waits for the report's outcome. */
async function uploadAndWait(page: Page, running: RunningEdge, path: string): Promise<string> {
  await page.goto(`${running.server.url}/importer`);
  await page.setInputFiles("#package", path);
  await page.click("#upload");
  await page.click("dialog[open] [data-confirm]");
  await page.waitForSelector("#report [data-outcome]", { timeout: 60_000 });
  return (await page.getAttribute("#report [data-outcome]", "data-outcome"))!;
}


async function expectUsablePage(page: Page, name: string): Promise<void> {
  expect({ name, ...(await pageUsability(page)) }).toEqual({ name, ...usablePage });
}

describe("every page at desktop and phone sizes, in English and Russian", () => {
  let running: RunningEdge;
  beforeAll(async () => {
    running = await startEdge();
    for (const path of [packages.spring, packages.broken, packages.summer]) {
      const run = await beginImport(running.edge.runtime.importer, { source: "cli", fileName: path.split("/").pop()!, operator: null });
      await importPackageFile(running.edge.runtime.importer, run, path);
    }
  });
  afterAll(() => running.dispose());

  for (const viewport of ["desktop", "phone"] as const) {
    for (const language of ["en", "ru"] as const) {
      test(`${viewport}, ${language}: sign-in, dashboard, lead detail and importer`, async () => {
        const { page, errors } = await openPage(running, viewport, language === "ru" ? "ru-RU" : "en-US");
        await page.goto(`${running.server.url}/login`);
        expect(await page.getAttribute("html", "lang")).toBe(language);
        expect(await page.getAttribute("link[rel=icon]", "href")).toBe("/favicon.svg");
        await expectUsablePage(page, "sign-in");
        await signIn(page, running);
        await page.waitForSelector("#leads tr[data-lead-id] audio");
        await page.waitForSelector("#history tr[data-import-id]");
        expect(await page.getAttribute(".bar nav a[aria-current=page]", "href")).toBe("/dashboard");
        await expectUsablePage(page, "dashboard");
        await page.click("#leads tr[data-lead-id='5001'] button");
        await page.waitForSelector("dialog[open] dl");
        expect(await page.evaluate("document.activeElement.closest('dialog') !== null")).toBe(true);
        expect({ violations: await seriousAccessibilityViolations(page), overflow: await horizontalOverflow(page) }).toEqual({ violations: [], overflow: 0 });
        await page.keyboard.press("Escape");
        await page.goto(`${running.server.url}/importer`);
        await page.waitForSelector("#history tr[data-import-id='2'] button");
        await page.click("#history tr[data-import-id='2'] button");
        await page.waitForSelector("#report [data-outcome=rejected]");
        expect(await page.evaluate("document.activeElement.id")).toBe("report-heading");
        await page.click("#report details summary");
        await expectUsablePage(page, "importer");
        expect(errors).toEqual([]);
        await page.context().close();
      }, 120_000);
    }
  }

  test("the favicon is served as SVG", async () => {
    const response = await fetch(`${running.server.url}/favicon.svg`);
    expect(response.headers.get("content-type")).toBe("image/svg+xml");
    expect(await response.text()).toStartWith("<svg");
  });
});

// These tests follow one edge through its day, in order: each starts from what the one before left.
describe("importing, reading reports, rolling back", () => {
  let running: RunningEdge;
  beforeAll(async () => {
    running = await startEdge();
  });
  afterAll(() => running.dispose());

  test("an empty edge says what to do; a deploy asks first and names what goes live and what is replaced", async () => {
    const { page, errors } = await openPage(running);
    await page.goto(`${running.server.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await signIn(page, running);
    await page.waitForSelector("#campaign-empty .empty a[href='/importer']");
    expect(await page.textContent("#campaign-title")).toBe("No campaign is live");
    await page.waitForSelector("#leads .empty");
    await page.waitForSelector("#history .empty");

    await page.goto(`${running.server.url}/importer`);
    await page.setInputFiles("#package", packages.spring);
    await page.click("#upload");
    await page.waitForSelector("dialog[open]");
    expect(await page.textContent("dialog[open] h2")).toBe("Deploy spring.zip?");
    expect(await page.textContent("dialog[open]")).toContain("No campaign is live now.");
    // Read from the package's manifest in the browser, before any byte is sent.
    expect(await page.textContent("dialog[open] [data-goes-live]")).toBe("If the package passes every check, campaign SPRING “Spring upgrade” (300 leads) goes live at once.");
    expect(await page.evaluate("document.activeElement.textContent")).toBe("Cancel");
    await page.click("dialog[open] button:not([data-confirm])");
    expect(await page.isVisible("#upload-progress")).toBe(false);
    expect(running.edge.runtime.deployment.served.current().active).toBeNull();

    expect(await uploadAndWait(page, running, packages.spring)).toBe("deployed");
    expect(await page.getAttribute("#import-progress", "data-state")).toBe("ok");
    expect(await page.textContent("#import-progress")).not.toContain("so far");
    expect(await page.textContent("#report [data-outcome]")).toContain("Campaign SPRING “Spring upgrade” is live");
    expect(await page.textContent("#report [data-figure=leads]")).toBe("300leads");
    expect(await page.evaluate("document.activeElement.id")).toBe("report-heading");

    await page.setInputFiles("#package", packages.summer);
    await page.click("#upload");
    await page.waitForSelector("dialog[open]");
    expect(await page.textContent("dialog[open]")).toContain("Spring upgrade (campaign SPRING, import #1) stops being dialled and is kept for rollback.");
    await page.click("dialog[open] [data-confirm]");
    await page.waitForSelector("#report [data-outcome=deployed]:has-text('SUMMER')");

    // The third deploy retires the first campaign, and the dialog says so.
    await page.setInputFiles("#package", packages.silent);
    await page.click("#upload");
    await page.waitForSelector("dialog[open]");
    expect(await page.textContent("dialog[open]")).toContain("Spring upgrade (import #1) is retired: it can no longer be rolled back to.");
    await page.click("dialog[open] [data-confirm]");
    await page.waitForSelector("#report [data-outcome=deployed]:has-text('AUTUMN')");
    // Leads without audio: a prominent warning, not a line among others.
    const warning = await page.textContent("#report [data-warning=without-audio]");
    expect(warning).toContain("2 leads have no audio");
    expect(warning).toContain("one second of silence");
    expect(await page.getAttribute("#report [data-warning=without-audio]", "class")).toContain("warn");
    expect(errors).toEqual([]);
  }, 180_000);

  test("a refused package: a red bar, no figures that do not apply, each problem once with its row, lead and what to do", async () => {
    const { page, errors } = await openPage(running, "phone");
    await signIn(page, running);
    const servedBefore = running.edge.runtime.deployment.served.current().active!.importId;
    expect(await uploadAndWait(page, running, packages.broken)).toBe("rejected");
    expect(await page.getAttribute("#import-progress", "data-state")).toBe("bad");
    expect(await page.textContent("#import-progress")).toContain("3 problems");
    expect(await page.textContent("#import-progress")).not.toContain("so far");
    expect(await page.textContent("#report [data-outcome]")).toBe("The package was refused; nothing changed");
    expect(await page.$$("#report [data-figure=leads], #report [data-figure=audio]")).toHaveLength(0);
    expect(await page.textContent("#report [data-figure=problems]")).toContain("3");
    const problems = await page.$$eval("#report [data-testid=problems] > li", (items) =>
      items.map((item) => ({
        code: item.getAttribute("data-code"),
        title: item.querySelector("b")?.textContent,
        where: item.querySelector("[data-where]")?.textContent ?? null,
        action: item.querySelector("[data-action]")?.textContent,
        visible: (item as unknown as { innerText: string }).innerText,
      })),
    );
    expect(problems.map((problem) => problem.code).sort()).toEqual(["audio.not_wav", "leads.invalid_field", "package.checksum_mismatch"]);
    const field = problems.find((problem) => problem.code === "leads.invalid_field")!;
    expect(field.title).toBe("The value in phone_number is not valid");
    expect(field.where).toBe("spreadsheet row 3 · lead 2");
    expect(field.action).toBe("Correct that cell in the spreadsheet and rebuild the package.");
    const checksum = problems.find((problem) => problem.code === "package.checksum_mismatch")!;
    expect(checksum.action).toBe("leads.csv changed after the package was built — rebuild the package.");
    // Codes and hashes only behind "Details".
    for (const problem of problems) {
      expect(problem.visible).not.toContain(problem.code!);
      expect(problem.visible).not.toMatch(/[0-9a-f]{32}/);
    }
    // Each problem once: its location is not repeated by the message.
    expect(field.visible.match(/row/g)).toHaveLength(1);
    expect(running.edge.runtime.deployment.served.current().active!.importId).toBe(servedBefore);
    expect(await page.textContent("#history tr[data-import-id='4']")).toContain("3 problems: the report says what to fix");
    expect({ overflow: await horizontalOverflow(page), violations: await seriousAccessibilityViolations(page) }).toEqual({ overflow: 0, violations: [] });
    expect(errors).toEqual([]);
  }, 120_000);

  test("the dashboard: durations before play, every field, paging to the table's top, a report in view, a named rollback that enters the history", async () => {
    const { page, errors } = await openPage(running);
    await signIn(page, running);
    await page.waitForSelector("#campaign-title:has-text('Handmade AUTUMN')");
    expect(await page.textContent("#rollback")).toBe("Roll back to Summer offer (#2)");
    expect(await page.textContent("[data-figure=fallback]")).toContain("one second of silence");
    // Players show their length before anything plays.
    const slot = await page.textContent("#leads tr[data-lead-id='1'] .slot small");
    expect(slot).toMatch(/^greeting · \d+ s$/);
    expect(await page.getAttribute("#leads tr[data-lead-id='1'] audio", "aria-label")).toMatch(/^greeting for lead 1, \d+ s$/);
    expect(await page.textContent("#leads tr[data-lead-id='2'] .slot")).toBe("greeting: No audio: the fallback prompt plays");
    // Every field of a lead in its detail view.
    await page.click("#leads tr[data-lead-id='2'] button");
    const fields = await page.textContent("dialog[open] dl");
    expect(fields).toContain("first_name");
    expect(fields).toContain("James");
    expect(fields).toContain("5125550101");
    await page.keyboard.press("Escape");

    // Rollback: named, confirmed, and listed in the history.
    await page.click("#rollback");
    await page.waitForSelector("dialog[open]");
    expect(await page.textContent("dialog[open] h2")).toBe("Roll back to Summer offer?");
    await page.click("dialog[open] [data-confirm]");
    await page.waitForSelector("#rollback-message:has-text('import #2 is live again')");
    await page.waitForSelector("#campaign-title:has-text('Summer offer')");
    await page.waitForSelector("#history tr[data-rollback-id]");
    expect(await page.textContent("#history tr[data-rollback-id]")).toContain("olga rolled back from #3 to #2");
    expect(running.edge.runtime.deployment.served.current().active!.campaignId).toBe("SUMMER");

    // Paging brings the table's top into view.
    await page.waitForSelector("#leads tr[data-lead-id='5001']");
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
    await page.click("#next-page");
    await page.waitForSelector("#page-text:has-text('Page 2 of 4')");
    expect(await page.getAttribute("#leads tr:first-child", "data-lead-id")).toBe("5026");
    const top = (await page.evaluate("document.getElementById('leads-card').getBoundingClientRect().top")) as number;
    expect(Math.abs(top)).toBeLessThan(5);

    // A search without results says what to do.
    await page.fill("#search", "nobody-like-this");
    await page.press("#search", "Enter");
    await page.waitForSelector("#leads .empty:has-text('No lead matches')");

    // A report opens in view, under its heading.
    await page.click("#history tr[data-import-id='4'] button");
    await page.waitForSelector("#report [data-outcome=rejected]");
    expect(await page.evaluate("document.activeElement.textContent")).toBe("Report of import #4");
    expect(errors).toEqual([]);
  }, 120_000);

  test("two imports at once: Upload is disabled and says so before a byte is sent; a refused upload shows no other import's report", async () => {
    const { page, errors } = await openPage(running);
    await signIn(page, running);
    const uploads: string[] = [];
    page.on("request", (request) => request.method() === "POST" && request.url().endsWith("/operator/api/imports") && uploads.push(request.url()));
    await page.goto(`${running.server.url}/importer`);
    await page.waitForSelector("#history tr[data-import-id]");
    expect(await page.isDisabled("#upload")).toBe(false);

    // Another import starts (from the command line) while the page is open: the page checks before sending.
    const other = await beginImport(running.edge.runtime.importer, { source: "cli", fileName: "spring.zip", operator: null });
    await page.setInputFiles("#package", packages.summer);
    await page.click("#upload");
    await page.waitForSelector(`#busy:has-text('Import #${other.id} (spring.zip) is running')`);
    expect(await page.isDisabled("#upload")).toBe(true);
    expect(await page.isVisible("dialog[open]")).toBe(false);
    expect(uploads).toEqual([]);
    // The dashboard names the running import, links to the importer, and drops the note once it ends.
    const dashboard = await page.context().newPage();
    await dashboard.goto(`${running.server.url}/dashboard`);
    await dashboard.waitForSelector(`#running:has-text('Import #${other.id} (spring.zip) is running')`);
    expect(await dashboard.getAttribute("#running a", "href")).toBe("/importer");
    expect(await dashboard.getAttribute("#running", "role")).toBe("status");
    await importPackageFile(running.edge.runtime.importer, other, packages.spring);
    await dashboard.waitForSelector("#running:empty", { state: "attached" });
    await dashboard.close();
    await page.waitForSelector("#upload:not([disabled])");
    expect(await page.isVisible("#report")).toBe(false);

    // The other import starts between the page's check and the upload: the edge refuses it.
    await page.click("#upload");
    await page.waitForSelector("dialog[open]");
    const third = await beginImport(running.edge.runtime.importer, { source: "cli", fileName: "autumn.zip", operator: null });
    await page.click("dialog[open] [data-confirm]");
    await page.waitForSelector("#upload-error:has-text('The upload was refused')");
    expect(await page.textContent("#upload-error")).toContain("still running");
    expect(uploads).toHaveLength(1);
    expect(await page.isDisabled("#upload")).toBe(true);
    await importPackageFile(running.edge.runtime.importer, third, packages.silent);
    await page.waitForSelector("#upload:not([disabled])");
    // The other import deployed, but this page's outcome stays the refusal: no report under it.
    expect(await page.isVisible("#report")).toBe(false);
    expect(await page.isVisible("#import-progress")).toBe(false);
    expect(await page.textContent("#upload-error")).toContain("The upload was refused");
    expect(errors.filter((error) => !error.includes("409"))).toEqual([]);
  }, 120_000);
});

describe("sign-in", () => {
  test("a wrong password is said plainly; during a lockout the button is disabled and says when sign-in is possible again", async () => {
    const running = await startEdge();
    try {
      const { page } = await openPage(running, "phone", "ru-RU");
      await page.goto(`${running.server.url}/login?next=/importer`);
      await page.fill("#username", testOperator.username);
      await page.fill("#password", "wrong password");
      await page.click("#sign-in-button");
      await page.waitForSelector("#sign-in-message:has-text('Неверное имя пользователя или пароль')");
      expect(await page.isDisabled("#sign-in-button")).toBe(false);
      // Failed attempts from one address lock it for a while; the page says until when.
      for (let attempt = 1; attempt < 8 && !(await page.isVisible("#sign-in-message:has-text('Слишком много неудачных попыток')")); attempt++) {
        await page.evaluate("document.getElementById('sign-in-message').replaceChildren()");
        await page.fill("#password", `wrong password ${attempt}`);
        await page.click("#sign-in-button");
        await page.waitForSelector("#sign-in-message b");
      }
      await page.waitForSelector("#sign-in-message:has-text('Слишком много неудачных попыток')");
      expect(await page.isDisabled("#sign-in-button")).toBe(true);
      expect(await page.textContent("#sign-in-message")).toMatch(/Войти снова можно в \d{1,2}:\d{2}:\d{2} \(через \d+ с\)/);
      expect(await page.getAttribute("#sign-in-message", "role")).toBe("alert");
      expect(new URL(page.url()).pathname).toBe("/login");
    } finally {
      await running.dispose();
    }
  }, 60_000);
});
