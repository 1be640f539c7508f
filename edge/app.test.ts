import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createEdgeTestEnvironment, type EdgeTestEnvironment } from "./testing/edge-test-kit.ts";

let edge: EdgeTestEnvironment;
beforeEach(async () => {
  edge = await createEdgeTestEnvironment();
});
afterEach(() => edge.dispose());

describe("edge app", () => {
  test("answers /health with the node's identity, database and campaign state", async () => {
    const response = await edge.app.request("/health", {}, { remoteAddress: "127.0.0.1" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", node: "edge", database: { ok: true }, campaign: null, default_prompt: "built-in: one second of silence" });
  });

  test("serves /metrics to loopback only", async () => {
    expect((await edge.app.request("/metrics", {}, { remoteAddress: "127.0.0.1" })).status).toBe(200);
    expect((await edge.app.request("/metrics", {}, { remoteAddress: "198.51.100.7" })).status).toBe(403);
  });

  test("reports an unreachable database as an error", async () => {
    edge.database.close();
    const response = await edge.app.request("/health", {}, { remoteAddress: "127.0.0.1" });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "error", database: { ok: false } });
  });
});
