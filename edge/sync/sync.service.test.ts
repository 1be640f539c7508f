import { afterEach, describe, expect, test } from "bun:test";
import { createEdgeTestEnvironment, type EdgeTestEnvironment } from "../testing/edge-test-kit.ts";

let environment: EdgeTestEnvironment | null = null;
afterEach(async () => {
  await environment?.dispose();
  environment = null;
});

async function serviceWith(env: Record<string, string>) {
  environment = await createEdgeTestEnvironment({ env: { ASTGUICLIENT_CONF: "/nonexistent/astguiclient.conf", DIDS_CONF: "/nonexistent/dids.conf", ...env }, withCallSync: true });
  return { app: environment.app, metrics: environment.metrics, callSync: environment.callSync! };
}

describe("call sync in /health and /metrics", () => {
  test("without an API key the sync is off, says why, and the edge stays healthy", async () => {
    const { app, metrics } = await serviceWith({});
    const health = (await (await app.request("/health", {}, { remoteAddress: "127.0.0.1" })).json()) as any;
    expect(health).toMatchObject({ status: "ok", callSync: { status: "ok", state: "not_configured", message: "no API key: set api_key in /nonexistent/dids.conf or DID_OPTIMIZER_API_KEY" } });
    expect(metrics.render()).toContain('call_sync_outbox_rows{state="pending"} 0');
    const remote = (await (await app.request("/health", {}, { remoteAddress: "203.0.113.5" })).json()) as any;
    expect(remote).toEqual({ status: "ok" });
  });

  test("switched off, it says so", async () => {
    const { callSync } = await serviceWith({ CALL_SYNC_ENABLED: "false", DID_OPTIMIZER_API_KEY: "sc_x" });
    expect(await callSync.health()).toEqual({ status: "ok", state: "disabled", message: "CALL_SYNC_ENABLED is false" });
  });
});
