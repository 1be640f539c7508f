import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../../shared/config/config-loader.ts";
import { MetricsRegistry } from "../../shared/http/metrics.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { createFakeClock } from "../../shared/testing/fake-clock.ts";
import { openTempDatabase, type TempDatabase } from "../../shared/testing/temp-database.ts";
import { createEdgeApp } from "../app.ts";
import { edgeConfigSpec } from "../config.ts";
import { migrations } from "../db/migrations.ts";
import * as schema from "../db/schema.ts";
import { resolveVicidialSettings } from "../vicidial/vicidial-settings.ts";
import { startCallSyncService } from "./sync.service.ts";

let database: TempDatabase<typeof schema>;
beforeEach(async () => {
  database = await openTempDatabase(migrations, schema);
});
afterEach(() => database.dispose());

function serviceWith(env: Record<string, string>) {
  const config = loadConfig(edgeConfigSpec, { env: { ASTGUICLIENT_CONF: "/nonexistent/astguiclient.conf", DIDS_CONF: "/nonexistent/dids.conf", ...env }, dotenvPath: null }).values;
  const metrics = new MetricsRegistry();
  const clock = createFakeClock();
  const controller = new AbortController();
  const callSync = startCallSyncService({ config, settings: resolveVicidialSettings(config), client: database.client, logger: silentLogger, metrics, clock, signal: controller.signal });
  const app = createEdgeApp({ config, client: database.client, logger: silentLogger, metrics, clock, startedAt: clock.now(), callSync });
  return { app, metrics, callSync };
}

describe("call sync in /health and /metrics", () => {
  test("without an API key the sync is off, says why, and the edge stays healthy", async () => {
    const { app, metrics } = serviceWith({});
    const health = (await (await app.request("/health", {}, { remoteAddress: "127.0.0.1" })).json()) as any;
    expect(health).toMatchObject({ status: "ok", callSync: { status: "ok", state: "not_configured", message: "no API key: set api_key in /nonexistent/dids.conf or DID_OPTIMIZER_API_KEY" } });
    expect(metrics.render()).toContain('call_sync_outbox_rows{state="pending"} 0');
    const remote = (await (await app.request("/health", {}, { remoteAddress: "203.0.113.5" })).json()) as any;
    expect(remote).toEqual({ status: "ok" });
  });

  test("switched off, it says so", async () => {
    const { callSync } = serviceWith({ CALL_SYNC_ENABLED: "false", DID_OPTIMIZER_API_KEY: "sc_x" });
    expect(await callSync.health()).toEqual({ status: "ok", state: "disabled", message: "CALL_SYNC_ENABLED is false" });
  });
});
