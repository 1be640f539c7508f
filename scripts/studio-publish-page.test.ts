/**
 * The campaign page's "Publish to an edge" against a real edge on a real socket: the edge the core
 * knows is offered, the push runs, and the edge's report is on the page.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { addOperator } from "../shared/accounts/accounts.usecases.ts";
import { createCoreAccounts } from "../core/operators/operator-accounts.ts";
import { createTestCore, type TestCore } from "../core/testing/core-test-app.ts";
import { generateStudioCampaign, startStudioPipeline } from "../core/testing/studio-fixture.ts";
import { addMachineKey } from "../edge/machine-keys/machine-keys.usecases.ts";
import { createEdgeTestEnvironment, type EdgeTestEnvironment } from "../edge/testing/edge-test-kit.ts";
import { silentLogger } from "../shared/log/logger.ts";
import { type RunningHttpServer, startHttpServer } from "../shared/runtime/http-server.ts";
import { collectPageErrors, launchChromium, openIsolatedContext } from "../shared/testing/chromium.ts";

const operator = { username: "publisher", password: "publisher-password-12" };
let core: TestCore;
let pipeline: { stop(): Promise<void> };
let coreServer: RunningHttpServer;
let edge: EdgeTestEnvironment;
let edgeServer: RunningHttpServer;

beforeAll(async () => {
  core = await createTestCore();
  const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
  await addOperator(accounts, operator.username, operator.password, { role: "admin", scope: null });
  pipeline = startStudioPipeline(core);
  coreServer = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
  edge = await createEdgeTestEnvironment();
  edgeServer = startHttpServer({ fetch: edge.fetch, hostname: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await coreServer?.stop();
  await edgeServer?.stop();
  await pipeline?.stop();
  await edge?.dispose();
  core?.dispose();
});

test("the campaign page publishes a ready campaign to an edge and shows the edge's report", async () => {
  const csv = "lead_id,phone_number,first_name\r\n7001,5125550100,Maria\r\n7002,5125550101,James\r\n";
  expect(await generateStudioCampaign(core, { id: "PUSHED", name: "Pushed", language: "en", csv, slots: { greeting: "Hello {first_name}." } })).toBe("ready");
  const key = (await addMachineKey(edge.runtime.machineKeys, "studio")).key;
  expect((await core.admin("/api/v1/studio/edges", { method: "POST", body: JSON.stringify({ name: "vici1", url: edgeServer.url, api_key: key }) })).status).toBe(201);

  const browser = await launchChromium();
  try {
    const context = await openIsolatedContext(browser, coreServer.url, "desktop");
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${coreServer.url}/login?next=/studio/PUSHED`);
    await page.fill("#username", operator.username);
    await page.fill("#password", operator.password);
    await page.click("#sign-in-button");
    await page.waitForURL(`${coreServer.url}/studio/PUSHED`);
    await page.waitForSelector("body[data-loaded=true]");
    expect(await page.textContent("#publish-edge option")).toBe(`vici1 (${edgeServer.url})`);
    await page.click("#publish-button");
    await page.waitForSelector("#publish-message.ok", { timeout: 60_000 });
    expect(await page.textContent("#publish-message")).toBe("The edge imported the package (deployed).");
    expect(await page.evaluate("document.activeElement.id")).toBe("publish-message");
    expect(JSON.parse((await page.textContent("#publish-report-text"))!)).toMatchObject({ outcome: "deployed", campaign: { id: "PUSHED" } });
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}, 120_000);
