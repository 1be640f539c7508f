/**
 * The compiled executables, run the way a user runs them: copied alone into an empty directory,
 * with a PATH and HOME that reach no Bun and no node_modules. arm64 binaries run under
 * qemu-aarch64-static with Debian's arm64 runtime libraries. Build them first: npm run build.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import packageJson from "../package.json" with { type: "json" };
import { openDatabase } from "../shared/db/open-database.ts";
import { checkIntegrity } from "../shared/db/backup.ts";
import { runCommand } from "../shared/runtime/process.ts";
import { startNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { expectDeliveredExactlyOnce, testDevice, waitForHealth } from "../pi/testing/agent-process.ts";
import { startLocalIngestServer } from "../pi/testing/local-ingest-server.ts";
import { binaryPath, nodeNames } from "./build.ts";
import { isolatedNodeEnv } from "./testing/isolated-node.ts";
import { expectSyncShipsVicidialCalls, startCoreProcess } from "../edge/sync/sync.testing.ts";
import { startMariaDb } from "../shared/testing/mariadb-server.ts";

const qemu = "/usr/bin/qemu-aarch64-static";
const arm64Libraries = "/usr/aarch64-linux-gnu";
const dirs: TempDir[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

/** An empty directory holding only the binary, and an environment that reaches nothing else. */
function isolate(node: string, arch: "x64" | "arm64") {
  const source = binaryPath(node, arch);
  if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
  const dir = makeTempDir(`salescontrol-${node}-${arch}-`);
  dirs.push(dir);
  const binary = dir.join(`salescontrol-${node}`);
  copyFileSync(source, binary);
  return { dir, binary, env: isolatedNodeEnv(node, dir) };
}

function databasePath(dir: TempDir, node: string): string {
  return dir.join(`data/${node}/${node}.db`);
}

describe.each(nodeNames)("%s-linux-x64", (node) => {
  test("--version, migrate, serve with /health and /metrics, SIGTERM exits 0 with the database intact", async () => {
    const { dir, binary, env } = isolate(node, "x64");
    const version = await runCommand(binary, ["--version"], { cwd: dir.path, env });
    expect(version.code).toBe(0);
    expect(version.stdout).toContain(`salescontrol-${node} ${packageJson.version} (commit `);
    expect(version.stdout).not.toContain("commit dev");

    const migrated = await runCommand(binary, ["migrate"], { cwd: dir.path, env });
    expect(migrated.stderr).toBe("");
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stdout).toStartWith("applied ");

    const running = await startNodeProcess(binary, ["serve"], { cwd: dir.path, env });
    const health = await fetch(`${running.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", node, version: packageJson.version, database: { ok: true } });
    const metrics = await fetch(`${running.url}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain(`salescontrol_build_info{node="${node}",version="${packageJson.version}"`);
    expect(text).toContain('http_requests_total{method="GET",route="/health",status="200"} 1');

    // systemd and Litestream can both deliver the stop: one stop, two signals, still exit 0.
    running.child.kill("SIGTERM");
    running.child.kill("SIGTERM");
    expect(await running.child.exited).toBe(0);
    const messages = running.logLines().map((line) => JSON.parse(line).msg);
    expect(messages.slice(-2)).toEqual(["stopping", "stopped"]);

    const database = openDatabase({ url: `file:${databasePath(dir, node)}` });
    expect(await checkIntegrity(database.client)).toBe("ok");
    expect((await database.client.execute("SELECT count(*) FROM _salescontrol_migrations")).rows[0]?.[0]).toBeGreaterThan(0);
    database.close();
  });

  test("bad configuration exits 2 and names the key: unknown key, malformed URL, missing value", async () => {
    const { dir, binary, env } = isolate(node, "x64");
    const serve = (extra: Record<string, string>, args: string[] = []) => runCommand(binary, [...args, "serve"], { cwd: dir.path, env: { ...env, ...extra } });

    writeFileSync(dir.join("settings.yaml"), "log_level: info\nlog_levle: debug\n");
    const unknownKey = await serve({}, ["-c", dir.join("settings.yaml")]);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain('unknown key "log_levle" (did you mean "log_level"?)');

    const urlSetting = node === "pi" ? "RA_INGEST_BASE_URL" : node === "edge" ? "DID_OPTIMIZER_API_URL" : "TRANSCRIPTION_BASE_URL";
    const badUrl = await serve({ [urlSetting]: "core.example.com:8000" });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain(`${urlSetting} (`);
    expect(badUrl.stderr).toContain("http:// or https:// URL");

    const badPort = await serve(node === "pi" ? { RA_HEALTH_PORT: "eighty" } : { PORT: "eighty" });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain(node === "pi" ? "RA_HEALTH_PORT (health_port)" : "PORT (port)");

    expect(existsSync(dir.join("data"))).toBe(false);

    // The recorder needs its identity and the core an admin token to serve; every edge setting has a default.
    if (node !== "edge") {
      const missing = node === "pi" ? "RA_POINT_ID" : "ADMIN_TOKEN";
      const withoutIt = await serve({ [missing]: "" });
      expect(withoutIt.code).toBe(2);
      expect(withoutIt.stderr).toContain(missing);
    }
  });
});

describe.each(nodeNames)("%s-linux-arm64 under qemu", (node) => {
  test("--version and a migrate/write/read round trip", async () => {
    const { dir, binary, env } = isolate(node, "arm64");
    const header = readFileSync(binary).subarray(0, 20);
    expect(header.readUInt16LE(18)).toBe(183); // ELF e_machine = EM_AARCH64
    const run = (args: string[]) => runCommand(qemu, ["-L", arm64Libraries, binary, ...args], { cwd: dir.path, env });
    const version = await run(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toContain(`salescontrol-${node} ${packageJson.version}`);
    expect((await run(["migrate"])).code).toBe(0);
    const selfTest = await run(["self-test"]);
    expect(selfTest.code).toBe(0);
    const report = JSON.parse(selfTest.stdout);
    expect(report).toMatchObject({ node, arch: "arm64", database: { ok: true, roundTrip: "ok" } });
    const database = openDatabase({ url: `file:${databasePath(dir, node)}` });
    expect(await checkIntegrity(database.client)).toBe("ok");
    database.close();
  });
});

describe("pi-linux-x64 as a recorder", () => {
  test("records from a generated input with the system's ffmpeg and delivers every chunk to the ingest", async () => {
    const { dir, binary, env } = isolate("pi", "x64");
    const ingest = await startLocalIngestServer({ devices: { [testDevice.token]: testDevice.deviceId } });
    try {
      const recorder = await startNodeProcess(binary, ["serve"], { cwd: dir.path, env: { ...env, RA_INGEST_BASE_URL: ingest.url, RA_SCHEDULE_START: "00:00", RA_SCHEDULE_END: "00:00", RA_HEALTH_PORT: "0" } });
      await ingest.waitFor("two chunks", () => ingest.stored().length >= 2, 30_000);
      const health = (await (await fetch(`${recorder.url}/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: "ok", recording: true, point_id: testDevice.pointId });
      expect(await recorder.stop("SIGTERM")).toBe(0);
      await ingest.setMode({ kind: "up" });
      const drain = await startNodeProcess(binary, ["serve"], { cwd: dir.path, env: { ...env, RA_INGEST_BASE_URL: ingest.url, RA_HEALTH_PORT: "0" } });
      await waitForHealth(drain, "an empty queue", (report) => report.queue_size === 0);
      expect(await drain.stop("SIGTERM")).toBe(0);
      await expectDeliveredExactlyOnce(dir, ingest.stored(), expect);
    } finally {
      await ingest.stop();
    }
  });
});

describe("pi-linux-arm64 as a recorder under qemu", () => {
  test("the Raspberry Pi build records with ffmpeg and uploads its chunks", async () => {
    const { dir, binary, env } = isolate("pi", "arm64");
    const ingest = await startLocalIngestServer({ devices: { [testDevice.token]: testDevice.deviceId } });
    try {
      const settings = { ...env, RA_INGEST_BASE_URL: ingest.url, RA_SCHEDULE_START: "00:00", RA_SCHEDULE_END: "00:00", RA_HEALTH_PORT: "0" };
      const recorder = await startNodeProcess(qemu, ["-L", arm64Libraries, binary, "serve"], { cwd: dir.path, env: settings, timeoutMs: 60_000 });
      await ingest.waitFor("two chunks", () => ingest.stored().length >= 2, 60_000);
      expect(await recorder.stop("SIGTERM")).toBe(0);
      for (const chunk of ingest.stored().slice(0, 2)) expect(chunk.fields.end_ts - chunk.fields.start_ts).toBe(1000);
    } finally {
      await ingest.stop();
    }
  });
});

test("every binary's checksum is recorded", () => {
  const sums = readFileSync(join(import.meta.dir, "../dist/SHA256SUMS"), "utf8");
  for (const node of nodeNames) for (const arch of ["x64", "arm64"]) expect(sums).toContain(`  ${node}-linux-${arch}`);
});

describe("edge-linux-x64 → core-linux-x64", () => {
  test("the compiled edge reads vicidial_log through mysql2 and the compiled core stores every call", async () => {
    const mariadb = await startMariaDb();
    const coreDir = makeTempDir("salescontrol-core-x64-sync-");
    dirs.push(coreDir);
    copyFileSync(binaryPath("core", "x64"), coreDir.join("salescontrol-core"));
    const core = await startCoreProcess(coreDir, { binary: coreDir.join("salescontrol-core") });
    try {
      const { dir, binary, env } = isolate("edge", "x64");
      await expectSyncShipsVicidialCalls({ mariadb, core, dir, runSync: (settings) => runCommand(binary, ["sync", "--once"], { cwd: dir.path, env: { ...env, ...settings } }), expect });
    } finally {
      await core.stop();
      await mariadb.stop();
    }
  });
});
