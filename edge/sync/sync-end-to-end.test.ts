/**
 * The whole path with real parts: a dialer imitation writing vicidial_log in a private MariaDB,
 * the edge (`bun edge/main.ts serve`, configured through astguiclient.conf and dids.conf files)
 * and the core (`bun core/main.ts serve`) as processes. Each scenario ends when the core holds
 * exactly what vicidial_log holds, row for row and field for field.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningNodeProcess, startNodeProcess } from "../../shared/testing/node-process.ts";
import { simulateDialer } from "../vicidial/testing/dialer-simulator.ts";
import { compareCallResults, readCoreCallResults, readVicidialCallResults, useSyncTestbed } from "./sync.testing.ts";

const root = join(import.meta.dir, "../..");
const testbed = useSyncTestbed("salescontrol-sync-e2e-", { beforeAll, afterAll });

interface Scenario {
  tenant: { tenantId: string; key: string };
  env: Record<string, string>;
  startEdge(): Promise<RunningNodeProcess>;
}

let scenarios = 0;
/** A fresh vicidial_log, tenant and edge data dir; the edge reads VICIdial's files like on a real box. */
async function prepareScenario(): Promise<Scenario> {
  const name = `scenario${++scenarios}`;
  await testbed.mariadb.query("TRUNCATE asterisk.vicidial_log");
  const tenant = await testbed.core.newTenant(name);
  const astguiclient = testbed.dir.join(`${name}-astguiclient.conf`);
  writeFileSync(astguiclient, `# Database connection information\nVARDB_server => 127.0.0.1\nVARDB_database => asterisk\nVARDB_user => cron\nVARDB_pass => 1234\nVARDB_custom_user => custom\nVARDB_port => ${testbed.mariadb.port}\n`);
  const didsConf = testbed.dir.join(`${name}-dids.conf`);
  writeFileSync(didsConf, `[general]\r\n; DID Optimizer API\r\napi_base_url=${testbed.core.url}\r\napi_key = ${tenant.key}\r\napi_timeout=10   ; seconds\r\n`);
  const env = testbed.processEnv({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: testbed.dir.join(`${name}-edge`),
    ASTGUICLIENT_CONF: astguiclient,
    DIDS_CONF: didsConf,
    CALL_SYNC_INTERVAL_SECONDS: "0.5",
    CALL_SYNC_FULL_SCAN_MINUTES: "0.05",
    CALL_SYNC_RETRY_MAX_SECONDS: "1",
    CALL_SYNC_PAGE_SIZE: "1000",
  });
  return { tenant, env, startEdge: () => startNodeProcess(process.execPath, [join(root, "edge/main.ts"), "serve"], { cwd: testbed.dir.path, env }) };
}

/** Waits until the core holds exactly vicidial_log; returns the differences left if it never does. */
async function waitForCoreToMatch(tenantId: string, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let problems: string[] = ["not compared yet"];
  while (Date.now() < deadline) {
    problems = compareCallResults(await readVicidialCallResults(testbed.mariadb), await readCoreCallResults({ databasePath: testbed.core.databasePath, tenantId }));
    if (problems.length === 0) return [];
    await Bun.sleep(500);
  }
  return [`${problems.length} differences, first: ${problems.slice(0, 5).join("; ")}`];
}

async function edgeHealth(edge: RunningNodeProcess): Promise<any> {
  return (await fetch(`${edge.url}/health`)).json();
}

describe("vicidial_log → edge → core", () => {
  test("20,000 calls from a busy dialer arrive exactly: every final state, no duplicates, no losses", async () => {
    const scenario = await prepareScenario();
    const edge = await scenario.startEdge();
    try {
      const dialer = await testbed.mariadb.connect({ database: "asterisk" });
      const report = await simulateDialer(dialer, { calls: 20_000, callsPerSecond: 2000, historicCalls: 400, seed: 11 });
      await dialer.end();
      expect(report.calls).toBe(20_000);
      expect(await waitForCoreToMatch(scenario.tenant.tenantId, 90_000)).toEqual([]);
      expect((await readCoreCallResults({ databasePath: testbed.core.databasePath, tenantId: scenario.tenant.tenantId })).size).toBe(20_400);

      const health = await edgeHealth(edge);
      expect(health.callSync).toMatchObject({ state: "running", database: expect.stringContaining("cron@127.0.0.1"), outbox: { dead: 0 } });
      const messages = edge.logLines().map((line) => JSON.parse(line));
      expect(messages.some((line) => line.msg === "call sync scan" && line.found > 0 && line.queued > 0)).toBe(true);
      expect(messages.some((line) => line.msg === "call results sent" && line.sent > 0)).toBe(true);
      expect(edge.logLines().join("\n")).not.toContain(scenario.tenant.key);
      const metrics = await (await fetch(`${edge.url}/metrics`)).text();
      expect(metrics).toMatch(/call_sync_rows_delivered_total\{outcome="created"\} \d+/);
      expect(metrics).toContain('call_sync_outbox_rows{state="pending"}');
    } finally {
      expect(await edge.stop("SIGTERM")).toBe(0);
    }
  }, 180_000);

  test("killed with SIGKILL at random moments and restarted, again and again: the same exact result", async () => {
    const scenario = await prepareScenario();
    const dialer = await testbed.mariadb.connect({ database: "asterisk" });
    const dialing = simulateDialer(dialer, { calls: 10_000, callsPerSecond: 1000, historicCalls: 200, seed: 22 });
    let done = false;
    void dialing.finally(() => (done = true));
    let kills = 0;
    let edge = await scenario.startEdge();
    while (!done || kills < 6) {
      await Bun.sleep(200 + Math.random() * 1200);
      edge.child.kill("SIGKILL");
      await edge.child.exited;
      kills++;
      edge = await scenario.startEdge();
    }
    await dialing;
    await dialer.end();
    try {
      expect(kills).toBeGreaterThanOrEqual(6);
      expect(await waitForCoreToMatch(scenario.tenant.tenantId, 90_000)).toEqual([]);
    } finally {
      expect(await edge.stop("SIGTERM")).toBe(0);
    }
  }, 180_000);

  test("with the core down for a while the outbox grows, then drains: the same exact result", async () => {
    const scenario = await prepareScenario();
    const edge = await scenario.startEdge();
    try {
      const dialer = await testbed.mariadb.connect({ database: "asterisk" });
      const dialing = simulateDialer(dialer, { calls: 8000, callsPerSecond: 800, seed: 33 });
      await Bun.sleep(1500);
      await testbed.core.stop();
      const backlog: number[] = [];
      for (let sample = 0; sample < 8; sample++) {
        await Bun.sleep(700);
        backlog.push((await edgeHealth(edge)).callSync.outbox.pending);
      }
      const whileDown = await edgeHealth(edge);
      await testbed.core.start();
      await dialing;
      await dialer.end();
      expect(backlog.at(-1)!).toBeGreaterThan(backlog[0]!);
      expect(whileDown.status).toBe("degraded");
      expect(whileDown.callSync.lastError).toMatchObject({ stage: "delivery", message: expect.stringContaining("cannot reach the core") });
      expect(await waitForCoreToMatch(scenario.tenant.tenantId, 90_000)).toEqual([]);
      const after = await edgeHealth(edge);
      expect(after.callSync.outbox).toMatchObject({ pending: 0, dead: 0 });
    } finally {
      await testbed.core.start();
      expect(await edge.stop("SIGTERM")).toBe(0);
    }
  }, 180_000);
});
