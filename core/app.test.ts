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

  test("a proxy on the core's host: forwarded requests are strangers unless TRUSTED_PROXIES names it", async () => {
    const untrusting = await app();
    const viaProxy = (client: string) => ({ headers: { "x-forwarded-for": client } });
    const loopback = { remoteAddress: "127.0.0.1" };
    expect((await untrusting.request("/metrics", viaProxy("203.0.113.9"), loopback)).status).toBe(403);
    expect(await (await untrusting.request("/health", viaProxy("127.0.0.1"), loopback)).json()).toEqual({ status: "ok" });
    core.dispose();
    const trusting = await app({ TRUSTED_PROXIES: "loopback" });
    expect((await trusting.request("/metrics", viaProxy("203.0.113.9"), loopback)).status).toBe(403);
    expect((await trusting.request("/metrics", viaProxy("127.0.0.1"), loopback)).status).toBe(200);
  });

  test("wrong tokens from one address are throttled with 429 and Retry-After; other callers are not", async () => {
    const instance = await app();
    const from = (remoteAddress: string) => ({ remoteAddress });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 25; attempt++) {
      statuses.push((await instance.request("/api/v1/admin/devices", { headers: { authorization: `Bearer wrong-admin-token-${attempt}` } }, from("203.0.113.66"))).status);
    }
    expect(statuses.filter((status) => status === 401)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
    const throttled = await instance.request("/api/v1/chunks", { method: "POST" }, from("203.0.113.66"));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await throttled.json()) as { error: { code: string } }).error.code).toBe("auth.too_many_failures");
    expect((await core.admin("/api/v1/admin/devices")).status).toBe(200);
    await core.clock.advance(60_000);
    expect((await instance.request("/api/v1/admin/devices", { headers: { authorization: "Bearer wrong-admin-token-again" } }, from("203.0.113.66"))).status).toBe(401);
  });
});
