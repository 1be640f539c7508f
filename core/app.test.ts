import { afterEach, describe, expect, test } from "bun:test";
import { createTestCore, type TestCore } from "./testing/core-test-app.ts";

let core: TestCore;
afterEach(() => core.dispose());

async function app(env: Record<string, string> = {}) {
  core = await createTestCore(env);
  return core.app;
}

describe("core app", () => {
  test("answers /health with the node's identity and database state", async () => {
    const response = await (await app()).request("/health", {}, { remoteAddress: "127.0.0.1" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", node: "core", database: { ok: true } });
  });

  test("serves /metrics to loopback only", async () => {
    const instance = await app();
    expect((await instance.request("/metrics", {}, { remoteAddress: "127.0.0.1" })).status).toBe(200);
    expect((await instance.request("/metrics", {}, { remoteAddress: "198.51.100.7" })).status).toBe(403);
  });

  test("reports an unreachable database as an error", async () => {
    const instance = await app();
    core.database.close();
    const response = await instance.request("/health", {}, { remoteAddress: "127.0.0.1" });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "error", database: { ok: false } });
  });

  test("an operator with the admin token may read /metrics and full health remotely", async () => {
    const instance = await app({ ADMIN_TOKEN: "admin-token-0123456789abcdef" });
    const remote = { remoteAddress: "198.51.100.7" };
    expect((await instance.request("/metrics", { headers: { authorization: "Bearer admin-token-0123456789abcdef" } }, remote)).status).toBe(200);
    expect((await instance.request("/metrics", { headers: { authorization: "Bearer admin-token-wrong" } }, remote)).status).toBe(403);
    expect(await (await instance.request("/health", {}, remote)).json()).toEqual({ status: "ok" });
  });
});
