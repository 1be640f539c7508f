import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { addOperator } from "../../shared/accounts/accounts.usecases.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { collectPageErrors, launchChromium, openIsolatedContext, pageUsability, usablePage, type ViewportName } from "../../shared/testing/chromium.ts";
import { createCoreAccounts } from "../operators/operator-accounts.ts";
import { type DialerBench, dialerBaseUrl, openDialerBench } from "./testing/dialer-test-kit.ts";

const agent = { username: "ann", password: "ann-password-123" };
let bench: DialerBench;
let server: RunningHttpServer;
let browser: Browser;

beforeAll(async () => {
  bench = await openDialerBench((to) => (to.endsWith("1") ? { answer: "human", talkMs: 1_500 } : { answer: "machine" }));
  const accounts = createCoreAccounts({ config: bench.core.config, db: bench.core.database.db as never, clock: bench.core.clock, logger: silentLogger });
  await addOperator(accounts, agent.username, agent.password, { role: "admin", scope: null });
  server = startHttpServer({ fetch: bench.core.app.fetch, hostname: "127.0.0.1", port: 0 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.forceStop();
  await bench?.dispose();
});

async function signedInConsole(campaignId: string, viewport: ViewportName = "desktop", locale = "en-US"): Promise<{ page: Page; errors: string[] }> {
  const context = await openIsolatedContext(browser, server.url, viewport, locale);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/dialer/${campaignId}`);
  await page.waitForURL(/\/login\?next=/);
  await page.fill("#username", agent.username);
  await page.fill("#password", agent.password);
  await page.click("#sign-in-button");
  await page.waitForURL(`${server.url}/dialer/${campaignId}`);
  await page.waitForSelector("body[data-loaded=true]");
  return { page, errors };
}

describe("the agent console", () => {
  test("joins with a Voice token, shows the queue and the call from the socket, dials next and saves the disposition", async () => {
    const created = await bench.json("POST", "/api/campaign", { name: "Spring offer", contacts: [{ phone_number: "+15551230001" }, { phone_number: "+15551230002" }] });
    const id = created.body.id as string;
    const { page, errors } = await signedInConsole(id);
    expect(await page.textContent("#campaign-name")).toBe("Spring offer");
    expect(await page.textContent("#figure-pending")).toBe("2");
    expect(await page.textContent("#agent-state")).toBe("Not joined yet");
    expect(await page.isVisible("#queue .empty")).toBe(true);
    expect(await page.isDisabled("#save-disposition")).toBe(true);

    // Join: the page asks the core for the agent's Voice token and hands it to the SDK, whose own link to Twilio cannot be reached here.
    const tokenAnswer = page.waitForResponse((response) => response.url().endsWith("/api/token"));
    await page.click("#join");
    const token = await (await tokenAnswer).json();
    expect(token.identity).toBe(agent.username);
    expect(JSON.parse(Buffer.from(token.token.split(".")[1], "base64url").toString()).grants.identity).toBe(agent.username);
    // Without Twilio to reach, the SDK fails and the page says so and what to do.
    await page.waitForSelector("#console-message:has-text('The phone could not reach Twilio')");
    expect(await page.getAttribute("#phone-state", "class")).toBe("badge bad");
    // What Twilio does once the SDK connects: the TwiML App's request for the agent's leg.
    const leg = await bench.twilio.connectAgent(`${dialerBaseUrl}/api/voice/dial`, agent.username, { campaignId: id });
    expect(leg.body).toContain(`>agent-${agent.username}</Conference>`);
    await page.waitForSelector("#agent-state:has-text('Waiting for a customer')");

    const dialled = page.waitForResponse((response) => response.url().endsWith("/dial-next"));
    await page.click("#dial-next");
    expect(await (await dialled).json()).toEqual({ placed: 2 });
    await page.waitForSelector("#current-state [data-state=bridged]");
    expect(await page.textContent("#current-phone")).toBe("+15551230001");
    expect(await page.isEnabled("#save-disposition")).toBe(true);
    await page.waitForSelector("#current-state [data-state=ended]", { timeout: 10_000 });
    await page.waitForSelector("#figure-pending:has-text('0')");
    await page.selectOption("#disposition", "SALE");
    await page.click("#save-disposition");
    await page.waitForSelector("#console-message:has-text('Disposition Sale saved for +15551230001.')");
    const [human] = (await bench.core.deps.dialer!.dialer.listCalls(id)).filter((call) => call.phoneNumber === "+15551230001");
    expect(human!.disposition).toBe("SALE");
    expect(await page.textContent("#figure-connected")).toBe("0");
    expect(errors.filter((error) => !/twilio|websocket|net::|Failed to load resource/i.test(error))).toEqual([]);
    expect({ name: "console", ...(await pageUsability(page)) }).toEqual({ name: "console", ...usablePage });
    await page.context().close();
  }, 90_000);

  test("on a phone and in Russian, with a CSP that lets only the phone reach Twilio; a visitor who has not signed in is sent to sign in", async () => {
    const created = await bench.json("POST", "/api/campaign", { name: "Осень", contacts: [{ phone_number: "+15551230002" }] });
    const { page } = await signedInConsole(created.body.id, "phone", "ru-RU");
    expect(await page.textContent("#console-heading")).toBe("Пульт оператора");
    expect({ name: "console-phone", ...(await pageUsability(page)) }).toEqual({ name: "console-phone", ...usablePage });
    // The page's CSP lets the phone reach Twilio and nothing else outside.
    const response = await page.request.get(`${server.url}/dialer/${created.body.id}`);
    expect(response.headers()["content-security-policy"]).toContain("connect-src 'self' https://*.twilio.com wss://*.twilio.com;");
    await page.context().close();

    const anonymous = await fetch(`${server.url}/dialer/${created.body.id}`, { redirect: "manual" });
    expect([anonymous.status, anonymous.headers.get("location")]).toEqual([302, `/login?next=${encodeURIComponent(`/dialer/${created.body.id}`)}`]);
  }, 60_000);
});
