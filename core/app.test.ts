import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../shared/config/config-loader.ts";
import { MetricsRegistry } from "../shared/http/metrics.ts";
import { silentLogger } from "../shared/log/logger.ts";
import { createFakeClock } from "../shared/testing/fake-clock.ts";
import { openTempDatabase, type TempDatabase } from "../shared/testing/temp-database.ts";
import { createCoreApp } from "./app.ts";
import { coreConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";

let database: TempDatabase<typeof schema>;
beforeEach(async () => {
  database = await openTempDatabase(migrations, schema);
});
afterEach(() => database.dispose());

function app(env: Record<string, string> = {}) {
  const clock = createFakeClock();
  const config = loadConfig(coreConfigSpec, { env, dotenvPath: null }).values;
  return createCoreApp({ config, client: database.client, db: database.db, logger: silentLogger, metrics: new MetricsRegistry(), clock, startedAt: clock.now() });
}

describe("core app", () => {
  test("answers /health with the node's identity and database state", async () => {
    const response = await app().request("/health", {}, { remoteAddress: "127.0.0.1" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", node: "core", database: { ok: true } });
  });

  test("serves /metrics to loopback only", async () => {
    const instance = app();
    expect((await instance.request("/metrics", {}, { remoteAddress: "127.0.0.1" })).status).toBe(200);
    expect((await instance.request("/metrics", {}, { remoteAddress: "198.51.100.7" })).status).toBe(403);
  });

  test("reports an unreachable database as an error", async () => {
    const instance = app();
    database.close();
    const response = await instance.request("/health", {}, { remoteAddress: "127.0.0.1" });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "error", database: { ok: false } });
  });

  test("an operator with the admin token may read /metrics and full health remotely", async () => {
    const instance = app({ ADMIN_TOKEN: "admin-token-0123456789abcdef" });
    const remote = { remoteAddress: "198.51.100.7" };
    expect((await instance.request("/metrics", { headers: { authorization: "Bearer admin-token-0123456789abcdef" } }, remote)).status).toBe(200);
    expect((await instance.request("/metrics", { headers: { authorization: "Bearer admin-token-wrong" } }, remote)).status).toBe(403);
    expect(await (await instance.request("/health", {}, remote)).json()).toEqual({ status: "ok" });
  });
});
