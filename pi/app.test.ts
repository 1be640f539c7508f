import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
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
import { measureInputLevel } from "./recorder/input-level.ts";
import { ensureSpoolDirectories, spoolLayout } from "./spool/spool-layout.ts";
import { createSpoolLock } from "./spool/spool-lock.ts";
import { createSpoolRepository } from "./spool/spool.repository.ts";
import { chunkIdFor, moveDurably, type RegisteredChunk, registerSegment } from "./spool/spool.usecases.ts";
import { encodeOpusFile } from "./testing/audio-fixtures.ts";
import { type LocalIngestServer, startLocalIngestServer } from "./testing/local-ingest-server.ts";

// Each test runs real ffmpeg; the machine may be busy with other suites.

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
let harnessDatabase: TempDatabase<typeof schema> | null = null;
afterEach(async () => {
  if (!harness) return;
  await harness.agent.stop();
  await harness.ingest.stop();
  harness.database.dispose();
  harness.dir.remove();
  harness = null;
});

/** A schedule window that does not include now (UTC), so these tests run the agent without ffmpeg. */
function closedWindow(): Record<string, string> {
  const at = (offsetHours: number) => new Date(Date.now() + offsetHours * 3600_000).toISOString().slice(11, 16);
  return { RA_SCHEDULE_START: at(2), RA_SCHEDULE_END: at(3) };
}

/** Pre-fills the spool with `count` one-second chunks, a minute apart, the oldest an hour ago. */
async function prefill(database: TempDatabase<typeof schema>, spoolDir: string, count: number) {
  const deps = { repository: createSpoolRepository(database.db), layout: spoolLayout(spoolDir), lock: createSpoolLock(), clock: systemClock, logger: createLogger({ node: "pi", write: () => {} }), measureLevel: measureInputLevel };
  ensureSpoolDirectories(deps.layout);
  const recording = join(spoolDir, "recording", "earlier");
  mkdirSync(recording, { recursive: true });
  const chunks = [];
  for (let index = 0; index < count; index++) {
    const partPath = join(recording, `seg-${String(index).padStart(6, "0")}.part`);
    copyFileSync(fixtures.join("chunk.part"), partPath);
    const startTs = Date.now() - 3600_000 + index * 60_000;
    chunks.push((await registerSegment(deps, { partPath, chunkId: chunkIdFor(device, "earlier", index), startTs, endTs: startTs + 1000, salvaged: false }))!);
  }
  return chunks;
}

type BeforeStart = (repository: ReturnType<typeof createSpoolRepository>, chunks: RegisteredChunk[], spoolDir: string) => Promise<Record<string, string>>;

async function start(options: { env?: Record<string, string>; prefill?: number; ingestToken?: string; beforeStart?: BeforeStart } = {}) {
  const dir = makeTempDir("salescontrol-pi-app-");
  const database = await openTempDatabase(migrations, schema);
  const ingest = await startLocalIngestServer({ devices: { [token]: device }, mode: { kind: "down" } });
  const chunks = await prefill(database, dir.join("spool"), options.prefill ?? 0);
  harnessDatabase = database;
  const extraEnv = options.beforeStart ? await options.beforeStart(createSpoolRepository(database.db), chunks, dir.join("spool")) : {};
  const env = {
    RA_POINT_ID: "00000000-0000-0000-0000-000000000001",
    RA_REGISTER_ID: "00000000-0000-0000-0000-000000000002",
    RA_DEVICE_ID: device,
    RA_INGEST_BASE_URL: ingest.url,
    RA_INGEST_TOKEN: options.ingestToken ?? token,
    RA_SPOOL_DIR: dir.join("spool"),
    RA_RETRY_MIN_S: "0.2",
    RA_RETRY_MAX_S: "0.5",
    ...closedWindow(),
    ...options.env,
    ...extraEnv,
  };
  const config = loadConfig(piConfigSpec, { env, dotenvPath: null }).values;
  const logLines: string[] = [];
  const logger = createLogger({ node: "pi", write: (line) => logLines.push(line) });
  const metrics = new MetricsRegistry();
  const agent = await startRecorderAgent({ config, db: database.db, logger, metrics, clock: systemClock, timeZone: "UTC", uploadPollMs: 50 });
  const app = createPiApp({ config, client: database.client, logger, metrics, clock: systemClock, startedAt: Date.now(), recorderHealth: agent.health });
  harness = { agent, app, database, ingest, dir, logLines };
  return { ...harness, chunks };
}

async function health(app: Harness["app"]) {
  return (await (await app.request("/health", {}, loopback)).json()) as Record<string, any>;
}

/** Polls /health until `condition` holds (the agent's loops run on their own). */
async function healthWhen(app: Harness["app"], description: string, condition: (report: Record<string, any>) => boolean) {
  const deadline = Date.now() + 10_000;
  let report = await health(app);
  while (!condition(report)) {
    if (Date.now() > deadline) throw new Error(`health never showed ${description}: ${JSON.stringify(report)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    report = await health(app);
  }
  return report;
}

describe("recorder health on 127.0.0.1:8042", () => {
  test("reports every field of the original agent's example, with this recorder's identity", async () => {
    const { app } = await start({ prefill: 2 });
    const report = await health(app);
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
    const waiting = await healthWhen(app, "a failed attempt", (report) => report.upload_errors_total > 0);
    expect(waiting.uploader.last_error).toContain("ECONNREFUSED");
    expect(waiting.last_error).toContain("ECONNREFUSED");
    await ingest.setMode({ kind: "up" });
    await ingest.waitFor("three chunks", () => ingest.stored().length === 3, 10_000);
    expect(ingest.stored().map((stored) => stored.chunkId)).toEqual(chunks.map((chunk) => chunk.chunkId));
    const report = await healthWhen(app, "three uploads", (candidate) => candidate.uploaded_total === 3);
    expect(report).toMatchObject({ queue_size: 0, uploaded_total: 3, spool_files: 3, status: "ok" });
    expect(report.last_upload_ts).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(report.spool.uploaded_kept).toBe(3);
  });

  test("over quota at start: uploaded chunks go first, then the oldest unsent; health counts each kind", async () => {
    const quotaFor = (chunkBytes: number) => String((chunkBytes * 3.5) / 1e9);
    let chunkBytes = 0;
    const { app, chunks, database, logLines } = await start({
      prefill: 6,
      beforeStart: async (repository, prefilled, spoolDir) => {
        chunkBytes = prefilled[0]!.bytes;
        for (const chunk of prefilled.slice(3, 5)) {
          const sentPath = chunk.path.replace("outbox/", "sent/");
          await repository.markUploaded(chunk.chunkId, { path: sentPath, uploadedAt: Date.now(), storedPath: "x" });
          await moveDurably(join(spoolDir, chunk.path), join(spoolDir, sentPath));
        }
        return { RA_MAX_SPOOL_GB: quotaFor(chunkBytes) };
      },
    });
    const report = await health(app);
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
    const report = await healthWhen(app, "the refusal", (candidate) => candidate.status === "degraded");
    expect(report).toMatchObject({ status: "degraded", queue_size: 2, rejected_total: 0, last_error: "401 auth.invalid_token: unknown device token" });
    expect(report.uploader.blocked.reason).toBe("401 auth.invalid_token: unknown device token");
  });

  test("a chunk the core refuses for good shows as the last rejection; the others are delivered", async () => {
    let refused = "";
    const { app, ingest } = await start({
      prefill: 2,
      beforeStart: async (_repository, prefilled) => {
        refused = prefilled[0]!.chunkId;
        await harnessDatabase!.client.execute({ sql: "UPDATE chunks SET sha256 = ? WHERE id = ?", args: ["f".repeat(64), refused] });
        return {};
      },
    });
    await ingest.setMode({ kind: "up" });
    await ingest.waitFor("the good chunk", () => ingest.stored().length === 1, 10_000);
    const report = await healthWhen(app, "the upload", (candidate) => candidate.uploaded_total === 1);
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
