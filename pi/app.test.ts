import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../shared/config/config-loader.ts";
import { MetricsRegistry } from "../shared/http/metrics.ts";
import { createLogger } from "../shared/log/logger.ts";
import { systemClock } from "../shared/runtime/clock.ts";
import { openTempDatabase, type TempDatabase } from "../shared/testing/temp-database.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { type RecorderAgent, startRecorderAgent } from "./agent/recorder-agent.ts";
import { createPiApp } from "./app.ts";
import { piConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";
import type { RegisteredChunk, SpoolDeps } from "./spool/spool.usecases.ts";
import { closedScheduleWindow, readHealth, waitForHealth } from "./testing/agent-process.ts";
import { encodeOpusFile } from "./testing/audio-fixtures.ts";
import { type LocalIngestServer, startLocalIngestServer } from "./testing/local-ingest-server.ts";
import { createSpoolDeps, markSent, registerCopies } from "./testing/test-spool.ts";

const device = "00000000-0000-0000-0000-000000000003";
const token = "device-token-0123456789";
const loopback = { remoteAddress: "127.0.0.1" };

let fixtures: TempDir;
beforeAll(async () => {
  fixtures = makeTempDir();
  await encodeOpusFile(fixtures.join("chunk.part"), 1, { segment: true });
});

interface Harness {
  agent: RecorderAgent;
  app: ReturnType<typeof createPiApp>;
  database: TempDatabase<typeof schema>;
  ingest: LocalIngestServer;
  dir: TempDir;
  logLines: string[];
}
let harness: Harness | null = null;
afterEach(async () => {
  if (!harness) return;
  await harness.agent.stop();
  await harness.ingest.stop();
  harness.database.dispose();
  harness.dir.remove();
  harness = null;
});

function agentEnv(ingestUrl: string, spoolDir: string): Record<string, string> {
  return {
    RA_POINT_ID: "00000000-0000-0000-0000-000000000001",
    RA_REGISTER_ID: "00000000-0000-0000-0000-000000000002",
    RA_DEVICE_ID: device,
    RA_INGEST_BASE_URL: ingestUrl,
    RA_INGEST_TOKEN: token,
    RA_SPOOL_DIR: spoolDir,
    RA_RETRY_MIN_S: "0.2",
    RA_RETRY_MAX_S: "0.5",
    // The agent runs without ffmpeg.
    ...closedScheduleWindow(),
  };
}

/** Runs before the agent starts, on the pre-filled spool; returns settings to add. */
type BeforeStart = (context: { spool: SpoolDeps; database: TempDatabase<typeof schema>; chunks: RegisteredChunk[] }) => Promise<Record<string, string>>;

async function start(options: { env?: Record<string, string>; prefill?: number; ingestToken?: string; beforeStart?: BeforeStart } = {}) {
  const dir = makeTempDir("salescontrol-pi-app-");
  const database = await openTempDatabase(migrations, schema);
  const ingest = await startLocalIngestServer({ devices: { [token]: device }, mode: { kind: "down" } });
  // One-second chunks a minute apart, the oldest an hour ago.
  const spool = createSpoolDeps(database.db, dir.join("spool"));
  const chunks = await registerCopies(spool, fixtures.join("chunk.part"), { count: options.prefill ?? 0, session: "earlier", startTs: (index) => Date.now() - 3600_000 + index * 60_000, durationMs: 1000 });
  const extraEnv = options.beforeStart ? await options.beforeStart({ spool, database, chunks }) : {};
  const env = {
    ...agentEnv(ingest.url, dir.join("spool")),
    RA_INGEST_TOKEN: options.ingestToken ?? token,
    ...options.env,
    ...extraEnv,
  };
  const config = loadConfig(piConfigSpec, { env, dotenvPath: null }).values;
  const logLines: string[] = [];
  const logger = createLogger({ node: "pi", write: (line) => logLines.push(line) });
  const metrics = new MetricsRegistry();
  const agent = await startRecorderAgent({ config, db: database.db, logger, metrics, clock: systemClock, uploadPollMs: 50 });
  const app = createPiApp({ client: database.client, logger, metrics, startedAt: Date.now(), recorderHealth: agent.health });
  harness = { agent, app, database, ingest, dir, logLines };
  return { ...harness, chunks };
}

describe("recorder health on 127.0.0.1:8042", () => {
  test("reports every field of the original agent's example, with this recorder's identity", async () => {
    const { app } = await start({ prefill: 2 });
    const report = await readHealth(app);
    expect(typeof report.upload_errors_total).toBe("number");
    expect(report.spool_bytes).toBeGreaterThan(1000);
    expect(report).toMatchObject({
      status: "ok",
      recording: false,
      in_schedule: false,
      queue_size: 2,
      uploaded_total: 0,
      last_upload_ts: null,
      spool_files: 2,
      point_id: "00000000-0000-0000-0000-000000000001",
      device_id: device,
      node: "pi",
      database: { ok: true },
    });
    expect(report.input_level).toMatchObject({ silent: false });
    expect(report.recorder).toMatchObject({ state: "idle", restarts: 0 });
    expect(Object.keys(report)).toEqual(expect.arrayContaining(["last_error", "audio_device", "input_level", "deleted_unsent_total", "schedule", "uploader", "spool"]));
  });

  test("a file in outbox/ that is not a chunk of this recorder counts in spool_files, spool_bytes and the quota", async () => {
    const { app, chunks } = await start({
      prefill: 1,
      beforeStart: async ({ spool }) => {
        writeFileSync(join(spool.layout.outboxDir, "notes.txt"), "x".repeat(1000));
        return {};
      },
    });
    const report = await readHealth(app);
    expect(report).toMatchObject({ spool_files: 2, spool_bytes: chunks[0]!.bytes + 1000, queue_size: 1 });
    expect(report.spool).toMatchObject({ foreign_files: 1, foreign_bytes: 1000 });
  });

  test("callers that are not on the Pi get the status only; /metrics is loopback only", async () => {
    const { app } = await start();
    const remote = await app.request("/health", {}, { remoteAddress: "192.0.2.10" });
    expect(await remote.json()).toEqual({ status: "ok" });
    expect((await app.request("/metrics", {}, { remoteAddress: "192.0.2.10" })).status).toBe(403);
    const metrics = await (await app.request("/metrics", {}, loopback)).text();
    expect(metrics).toContain("recorder_recording 0");
    expect((await app.request("/health", { method: "POST", body: "x" }, loopback)).status).toBe(404);
  });

  test("uploads drain the queue once the core is reachable, and the counters follow", async () => {
    const { app, ingest, chunks } = await start({ prefill: 3 });
    const waiting = await waitForHealth(app, "a failed attempt", (report) => report.upload_errors_total > 0);
    expect(waiting.uploader.last_error).toContain("ECONNREFUSED");
    expect(waiting.last_error).toContain("ECONNREFUSED");
    await ingest.setMode({ kind: "up" });
    await ingest.waitFor("three chunks", () => ingest.stored().length === 3, 10_000);
    expect(ingest.stored().map((stored) => stored.chunkId)).toEqual(chunks.map((chunk) => chunk.chunkId));
    const report = await waitForHealth(app, "three uploads", (candidate) => candidate.uploaded_total === 3);
    expect(report).toMatchObject({ queue_size: 0, uploaded_total: 3, spool_files: 3, status: "ok" });
    expect(report.last_upload_ts).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(report.spool.uploaded_kept).toBe(3);

    // A restart keeps the time of the last upload, as it keeps uploaded_total.
    await harness!.agent.stop();
    const config = loadConfig(piConfigSpec, { env: { ...agentEnv(ingest.url, harness!.dir.join("spool")), RA_INGEST_BASE_URL: "http://127.0.0.1:9" }, dotenvPath: null }).values;
    const logger = createLogger({ node: "pi", write: () => {} });
    harness!.agent = await startRecorderAgent({ config, db: harness!.database.db, logger, metrics: new MetricsRegistry(), clock: systemClock, uploadPollMs: 50 });
    const restarted = await readHealth(createPiApp({ client: harness!.database.client, logger, metrics: new MetricsRegistry(), startedAt: Date.now(), recorderHealth: harness!.agent.health }));
    expect(restarted.uploaded_total).toBe(3);
    expect(restarted.last_upload_ts).toBe(report.last_upload_ts);
  });

  test("over quota at start: uploaded chunks go first, then the oldest unsent; health counts each kind", async () => {
    const quotaFor = (chunkBytes: number) => String((chunkBytes * 3.5) / 1e9);
    let chunkBytes = 0;
    const { app, chunks, database, logLines } = await start({
      prefill: 6,
      beforeStart: async ({ spool, chunks: prefilled }) => {
        chunkBytes = prefilled[0]!.bytes;
        for (const chunk of prefilled.slice(3, 5)) await markSent(spool, chunk);
        return { RA_MAX_SPOOL_GB: quotaFor(chunkBytes) };
      },
    });
    const report = await readHealth(app);
    expect(report).toMatchObject({ deleted_uploaded_total: 2, deleted_unsent_total: 1, spool_files: 3, queue_size: 3, uploaded_total: 2 });
    expect(report.spool_bytes).toBe(chunkBytes * 3);
    const states = await database.client.execute("SELECT id, state, discard_reason FROM chunks ORDER BY start_ts");
    expect(states.rows.map((row) => [row.id, row.state, row.discard_reason])).toEqual([
      [chunks[0]!.chunkId, "discarded", "quota"],
      [chunks[1]!.chunkId, "pending", null],
      [chunks[2]!.chunkId, "pending", null],
      [chunks[5]!.chunkId, "pending", null],
    ]);
    expect(existsSync(join(harness!.dir.path, "spool", chunks[0]!.path))).toBe(false);
    const warnings = logLines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "deleted an unsent chunk to free the spool");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: "warn", chunkId: chunks[0]!.chunkId, reason: "quota" });
  });

  test("a token the core refuses degrades the status with the reason; no chunk is given up", async () => {
    const { app, ingest } = await start({ prefill: 2, ingestToken: "wrong-token-for-this-device" });
    await ingest.setMode({ kind: "up" });
    await ingest.waitFor("the refused attempt", () => ingest.requestCount() >= 1, 10_000);
    const report = await waitForHealth(app, "the refusal", (candidate) => candidate.status === "degraded");
    expect(report).toMatchObject({ status: "degraded", queue_size: 2, rejected_total: 0, last_error: "401 auth.invalid_token: unknown device token" });
    expect(report.uploader.blocked.reason).toBe("401 auth.invalid_token: unknown device token");
  });

  test("a chunk the core refuses for good shows as the last rejection; the others are delivered", async () => {
    let refused = "";
    const { app, ingest } = await start({
      prefill: 2,
      beforeStart: async ({ database, chunks: prefilled }) => {
        refused = prefilled[0]!.chunkId;
        await database.client.execute({ sql: "UPDATE chunks SET sha256 = ? WHERE id = ?", args: ["f".repeat(64), refused] });
        return {};
      },
    });
    await ingest.setMode({ kind: "up" });
    await ingest.waitFor("the good chunk", () => ingest.stored().length === 1, 10_000);
    const report = await waitForHealth(app, "the upload", (candidate) => candidate.uploaded_total === 1);
    expect(report).toMatchObject({ status: "ok", rejected_total: 1, queue_size: 0, uploaded_total: 1 });
    expect(report.uploader.last_rejection).toMatchObject({ chunk_id: refused, reason: "422 ingest.checksum_mismatch: sha256 does not match the file" });
    expect(report.spool.rejected).toBe(1);
  });

  test("the database going away turns the status to error (503)", async () => {
    const { app, database } = await start();
    database.close();
    const response = await app.request("/health", {}, loopback);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "error", database: { ok: false } });
  });
});
