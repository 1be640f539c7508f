import { afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { claimJobResponse } from "../../shared/contracts/worker-jobs.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { startHttpServer } from "../../shared/runtime/http-server.ts";
import { readAllText, spawnProcess } from "../../shared/runtime/process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { audioChunks, dialogues, jobs, speechSegments } from "../db/schema.ts";
import { startRemoteVadWorker } from "../pipeline/vad/vad-remote-worker.ts";
import { createTestCore, type TestCore, type TestDevice, testAdminToken, testInternalToken } from "../testing/core-test-app.ts";
import { headerPagesOnly, noiseChunk, speechChunk } from "../testing/test-audio.ts";
import { createInternalApiClient } from "./internal-api-client.ts";

let core: TestCore;
let device: TestDevice;
let bytes: Uint8Array;
let speech: Awaited<ReturnType<typeof speechChunk>>;

beforeAll(async () => {
  bytes = await noiseChunk(2);
  speech = await speechChunk({ seconds: 6, atMs: 1500 });
});
beforeEach(async () => {
  core = await createTestCore();
  device = await core.registerDevice();
});
afterEach(() => core.dispose());

const post = (path: string, body: unknown) => core.internal(path, { method: "POST", body: JSON.stringify(body) });
const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

async function uploadAndClaim(chunkBytes = bytes) {
  const chunkId = randomUUID();
  expect((await core.upload(device, { bytes: chunkBytes, chunkId })).status).toBe(200);
  const claimed = claimJobResponse.parse(await (await post("/api/v1/internal/jobs/claim", { queues: ["vad"], lease_seconds: 60 })).json());
  return { chunkId, job: claimed.job! };
}

describe("claim, heartbeat, fetch audio, report", () => {
  test("a worker claims the chunk's VAD job, fetches its audio and reports speech: segments and dialogue are stored", async () => {
    const { chunkId, job } = await uploadAndClaim();
    expect(job).toMatchObject({ queue: "vad", attempt: 1, max_attempts: 5, lease_expires_at: "2026-01-15T09:01:00.000Z" });
    expect(job.payload).toMatchObject({ chunk_id: chunkId, channels: 1 });
    expect(claimJobResponse.parse(await (await post("/api/v1/internal/jobs/claim", { queues: ["vad"] })).json())).toEqual({ job: null });

    await core.clock.advance(30_000);
    const beat = await post(`/api/v1/internal/jobs/${job.job_id}/heartbeat`, { lease_token: job.lease_token, lease_seconds: 120 });
    expect(await beat.json()).toEqual({ lease_expires_at: "2026-01-15T09:02:30.000Z" });

    const audio = await core.internal(`/api/v1/internal/chunks/${chunkId}/audio`);
    expect(audio.headers.get("content-type")).toBe("audio/ogg");
    expect(Buffer.compare(new Uint8Array(await audio.arrayBuffer()), bytes)).toBe(0);
    expect(audio.headers.get("x-content-sha256")).toBe(sha256Hex(bytes));

    const reported = await post(`/api/v1/internal/jobs/${job.job_id}/result`, { lease_token: job.lease_token, result: { audio_ms: 2000, segments: [{ start_ms: 200, end_ms: 1500 }] } });
    expect(await reported.json()).toEqual({ status: "done" });
    expect((await core.database.db.select().from(audioChunks))[0]).toMatchObject({ vadStatus: "done", audioMs: 2000, speechMs: 1300 });
    expect(await core.database.db.$count(speechSegments)).toBe(1);
    expect(await core.database.db.$count(dialogues)).toBe(1);
    expect((await core.database.db.select().from(jobs))[0]!.state).toBe("done");
  });

  test("a failure is retried with backoff; a permanent one goes dead and marks the chunk", async () => {
    const { chunkId, job } = await uploadAndClaim();
    const retried = await post(`/api/v1/internal/jobs/${job.job_id}/failure`, { lease_token: job.lease_token, error: "network went away" });
    expect(await retried.json()).toEqual({ outcome: "retrying" });
    expect(claimJobResponse.parse(await (await post("/api/v1/internal/jobs/claim", { queues: ["vad"] })).json()).job).toBeNull();
    await core.clock.advance(10_000);
    const again = claimJobResponse.parse(await (await post("/api/v1/internal/jobs/claim", { queues: ["vad"] })).json()).job!;
    expect(again.attempt).toBe(2);
    const dead = await post(`/api/v1/internal/jobs/${again.job_id}/failure`, { lease_token: again.lease_token, error: "not decodable", permanent: true });
    expect(await dead.json()).toEqual({ outcome: "dead" });
    const [chunk] = await core.database.db.select().from(audioChunks).where(eq(audioChunks.chunkId, chunkId));
    expect(chunk).toMatchObject({ vadStatus: "failed", vadError: "not decodable" });
    expect(await core.admin(`/api/v1/admin/chunks/${chunkId}`).then((response) => response.json())).toMatchObject({ vad: { status: "failed", error: "not decodable" } });
  });
});

describe("errors", () => {
  test("claims name known queues with a sane lease", async () => {
    expect(await codeOf(await post("/api/v1/internal/jobs/claim", { queues: ["payroll"] }))).toBe("internal.unknown_queue");
    expect(await codeOf(await post("/api/v1/internal/jobs/claim", { queues: [] }))).toBe("request.invalid");
    expect(await codeOf(await post("/api/v1/internal/jobs/claim", { queues: ["vad"], lease_seconds: 5 }))).toBe("request.invalid");
    expect(await codeOf(await post("/api/v1/internal/jobs/claim", { queues: ["../vad"] }))).toBe("request.invalid");
    expect(await codeOf(await core.internal("/api/v1/internal/jobs/claim", { method: "POST", body: "{" }))).toBe("request.malformed_json");
  });

  test("a lost lease: heartbeat, result and failure answer 409 and change nothing", async () => {
    const { job } = await uploadAndClaim();
    await core.clock.advance(61_000);
    const thief = claimJobResponse.parse(await (await post("/api/v1/internal/jobs/claim", { queues: ["vad"] })).json()).job!;
    expect(thief.job_id).toBe(job.job_id);
    const result = { audio_ms: 2000, segments: [{ start_ms: 0, end_ms: 900 }] };
    for (const [path, body] of [
      [`/api/v1/internal/jobs/${job.job_id}/heartbeat`, { lease_token: job.lease_token }],
      [`/api/v1/internal/jobs/${job.job_id}/result`, { lease_token: job.lease_token, result }],
      [`/api/v1/internal/jobs/${job.job_id}/failure`, { lease_token: job.lease_token, error: "late" }],
    ] as const) {
      const response = await post(path, body);
      expect(response.status).toBe(409);
      expect(await codeOf(response)).toBe("internal.lease_lost");
    }
    expect(await core.database.db.$count(speechSegments)).toBe(0);
    expect((await core.database.db.select().from(jobs))[0]).toMatchObject({ state: "running", leaseToken: thief.lease_token });
  });

  test("results that do not fit the queue are refused and nothing is stored", async () => {
    const { job } = await uploadAndClaim();
    for (const result of [
      { audio_ms: 2000, segments: [{ start_ms: 500, end_ms: 400 }] },
      { audio_ms: 2000, segments: [{ start_ms: 0, end_ms: 900 }, { start_ms: 800, end_ms: 1200 }] },
      { audio_ms: 2000, segments: [{ start_ms: 0, end_ms: 9000 }] },
      { audio_ms: -1, segments: [] },
      "segments",
    ]) {
      const response = await post(`/api/v1/internal/jobs/${job.job_id}/result`, { lease_token: job.lease_token, result });
      expect(response.status).toBe(400);
      expect(await codeOf(response)).toBe("internal.invalid_result");
    }
    expect(await core.database.db.$count(speechSegments)).toBe(0);
    expect((await core.database.db.select().from(audioChunks))[0]!.vadStatus).toBe("pending");
  });

  test("unknown jobs and chunks are 404, malformed ids 400, audio that is gone 410", async () => {
    expect(await codeOf(await post("/api/v1/internal/jobs/999/heartbeat", { lease_token: "x" }))).toBe("internal.job_not_found");
    expect((await post("/api/v1/internal/jobs/abc/result", { lease_token: "x", result: {} })).status).toBe(400);
    expect(await codeOf(await core.internal(`/api/v1/internal/chunks/${randomUUID()}/audio`))).toBe("internal.chunk_not_found");
    expect((await core.internal("/api/v1/internal/chunks/..%2F..%2Fetc%2Fpasswd/audio")).status).toBe(400);
    const chunkId = randomUUID();
    await core.upload(device, { bytes, chunkId });
    rmSync(core.config.audioStoragePath, { recursive: true });
    const gone = await core.internal(`/api/v1/internal/chunks/${chunkId}/audio`);
    expect(gone.status).toBe(410);
    expect(await codeOf(gone)).toBe("internal.audio_missing");
  });
});

describe("security", () => {
  const someId = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c";
  const routes: Array<[string, string]> = [
    ["POST", "/api/v1/internal/jobs/claim"],
    ["POST", "/api/v1/internal/jobs/1/heartbeat"],
    ["POST", "/api/v1/internal/jobs/1/result"],
    ["POST", "/api/v1/internal/jobs/1/failure"],
    ["GET", `/api/v1/internal/chunks/${someId}/audio`],
  ];

  test.each(routes)("%s %s refuses no token, a wrong token, the admin token and a device token", async (method, path) => {
    for (const [headers, code] of [
      [{}, "auth.missing_token"],
      [{ authorization: "Bearer wrong-internal-0123456789" }, "auth.invalid_token"],
      [{ authorization: `Bearer ${testAdminToken}` }, "auth.invalid_token"],
      [{ authorization: `Bearer ${device.token}` }, "auth.invalid_token"],
    ] as const) {
      const response = await core.app.request(path, { method, body: method === "POST" ? JSON.stringify({ queues: ["vad"] }) : undefined, headers }, { remoteAddress: "127.0.0.1" });
      expect(response.status).toBe(401);
      expect(await codeOf(response)).toBe(code);
    }
  });

  test("without INTERNAL_TOKEN the internal API is off", async () => {
    const closed = await createTestCore({ INTERNAL_TOKEN: "" });
    try {
      const response = await closed.app.request("/api/v1/internal/jobs/claim", { method: "POST", body: "{}", headers: { authorization: "Bearer anything-at-all-123" } });
      expect(response.status).toBe(403);
      expect(await codeOf(response)).toBe("internal.disabled");
    } finally {
      closed.dispose();
    }
  });
});

describe("core worker on another host", () => {
  test("pulls VAD jobs over HTTP, finds the speech and reports it back", async () => {
    const server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
    const shutdown = new AbortController();
    const client = createInternalApiClient({ baseUrl: server.url, token: testInternalToken });
    const worker = await startRemoteVadWorker({ client, clock: systemClock, logger: silentLogger, idleIntervalMs: 50 }, shutdown.signal);
    try {
      const speechId = randomUUID();
      const silentId = randomUUID();
      await core.upload(device, { bytes: speech.bytes, chunkId: speechId, startTs: core.clock.now() - 60_000, endTs: core.clock.now() - 54_000 });
      await core.upload(device, { bytes, chunkId: silentId, startTs: core.clock.now() - 30_000, endTs: core.clock.now() - 28_000 });
      for (let attempt = 0; attempt < 200 && worker.processed() < 2; attempt++) await Bun.sleep(50);
      expect(worker.processed()).toBe(2);
      const detail = (await (await core.admin(`/api/v1/admin/chunks/${speechId}`)).json()) as { vad: { status: string }; speech_segments: Array<{ offset_start_ms: number; offset_end_ms: number }> };
      expect(detail.vad.status).toBe("done");
      expect(detail.speech_segments).toHaveLength(1);
      expect(Math.abs(detail.speech_segments[0]!.offset_start_ms - speech.speech.startMs)).toBeLessThanOrEqual(500);
      expect(Math.abs(detail.speech_segments[0]!.offset_end_ms - speech.speech.endMs)).toBeLessThanOrEqual(500);
      const silent = (await (await core.admin(`/api/v1/admin/chunks/${silentId}`)).json()) as { vad: { status: string; speech_ms: number } };
      expect(silent.vad).toMatchObject({ status: "done", speech_ms: 0 });
    } finally {
      shutdown.abort();
      await worker.stop();
      await server.forceStop();
    }
  });

  test("`salescontrol-core worker` does the same as a process and exits 0 on SIGTERM", async () => {
    const server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
    const dataDir = makeTempDir();
    const worker = spawnProcess(process.execPath, [join(import.meta.dir, "../main.ts"), "worker"], {
      cwd: dataDir.path,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir.path, INGEST_INTERNAL_BASE_URL: server.url, INTERNAL_TOKEN: testInternalToken },
      stderr: "pipe",
    });
    try {
      const chunkId = randomUUID();
      await core.upload(device, { bytes: speech.bytes, chunkId, startTs: core.clock.now() - 60_000, endTs: core.clock.now() - 54_000 });
      let status = "pending";
      for (let attempt = 0; attempt < 300 && status === "pending"; attempt++) {
        await Bun.sleep(50);
        status = (await core.database.db.select().from(audioChunks).where(eq(audioChunks.chunkId, chunkId)))[0]!.vadStatus;
      }
      expect(status).toBe("done");
      expect(await core.database.db.$count(speechSegments)).toBe(1);
    } finally {
      worker.kill("SIGTERM");
      expect(await worker.exited).toBe(0);
      const log = await readAllText(worker.stderr);
      expect(log).toContain('"msg":"worker stopped"');
      await server.forceStop();
      dataDir.remove();
    }
  });

  test("a chunk that is not decodable is reported as a permanent failure", async () => {
    const server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
    const shutdown = new AbortController();
    const worker = await startRemoteVadWorker(
      { client: createInternalApiClient({ baseUrl: server.url, token: testInternalToken }), clock: systemClock, logger: silentLogger, idleIntervalMs: 50 },
      shutdown.signal,
    );
    try {
      // A whole OGG/Opus file without audio pages passes ingest and has nothing to decode.
      const chunkId = randomUUID();
      expect((await core.upload(device, { bytes: headerPagesOnly(bytes), chunkId })).status).toBe(200);
      for (let attempt = 0; attempt < 200 && worker.processed() < 1; attempt++) await Bun.sleep(50);
      const [chunk] = await core.database.db.select().from(audioChunks);
      expect(chunk).toMatchObject({ chunkId, vadStatus: "failed", vadError: "the file holds no audio" });
      expect((await core.database.db.select().from(jobs))[0]!.state).toBe("dead");
    } finally {
      shutdown.abort();
      await worker.stop();
      await server.forceStop();
    }
  });
});
