import { afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { chunkUploadFields } from "../../shared/contracts/chunk-upload.ts";
import { createLogger } from "../../shared/log/logger.ts";
import { backoffDelayMs } from "../../shared/jobs/backoff.ts";
import { startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { uploadBackoffPolicy } from "../agent/recorder-agent.ts";
import type { RegisteredChunk } from "../spool/spool.usecases.ts";
import { encodeOpusFile } from "../testing/audio-fixtures.ts";
import { type LocalIngestServer, startLocalIngestServer } from "../testing/local-ingest-server.ts";
import { createTestSpool, registerCopies, type TestSpool } from "../testing/test-spool.ts";
import { sendChunk } from "./chunk-upload.client.ts";
import { createUploader, maxServerFailuresPerChunk, RetryableUploadError, type Uploader } from "./uploader.usecases.ts";

const device = "00000000-0000-0000-0000-000000000003";
const token = "device-token-0123456789";
const settings = {
  ingestToken: token,
  pointId: "00000000-0000-0000-0000-000000000001",
  registerId: "00000000-0000-0000-0000-000000000002",
  deviceId: device,
  sampleRate: 48000,
  deviceRejectionRetryMs: 300_000,
};

let fixtures: TempDir;
beforeAll(async () => {
  fixtures = makeTempDir();
  await encodeOpusFile(fixtures.join("chunk.part"), 1, { segment: true });
});
let spool: TestSpool;
let ingest: LocalIngestServer;
beforeEach(async () => {
  spool = await createTestSpool();
  ingest = await startLocalIngestServer({ devices: { [token]: device } });
});
afterEach(async () => {
  await ingest.stop();
  spool.dispose();
});

function recordChunks(count: number): Promise<RegisteredChunk[]> {
  return registerCopies(spool.deps, fixtures.join("chunk.part"), { count, session: "s", startTs: (index) => Date.UTC(2026, 0, 15, 9, index, 0), durationMs: 1000 });
}

function uploader(overrides: { ingestBaseUrl?: string; ingestToken?: string; requestTimeoutMs?: number } = {}, lines?: string[]): Uploader {
  return createUploader({
    ...spool.deps,
    logger: lines ? createLogger({ node: "pi", write: (line) => lines.push(line) }) : spool.deps.logger,
    settings: { ...settings, ingestBaseUrl: overrides.ingestBaseUrl ?? ingest.url, ingestToken: overrides.ingestToken ?? token },
    requestTimeoutMs: overrides.requestTimeoutMs,
  });
}

const signal = new AbortController().signal;
const stateOf = async (chunk: RegisteredChunk) => (await spool.deps.repository.getChunk(chunk.chunkId))!;

describe("uploader", () => {
  test("sends the oldest pending chunk as the contract defines it, then marks it uploaded and moves it to sent/", async () => {
    const [chunk] = await recordChunks(1);
    expect(await uploader().tick(signal)).toBe("busy");
    const [stored] = ingest.stored();
    expect(stored!.chunkId).toBe(chunk!.chunkId);
    expect(stored!.fields).toEqual(
      chunkUploadFields.parse({
        point_id: settings.pointId,
        register_id: settings.registerId,
        device_id: device,
        start_ts: new Date(chunk!.startTs).toISOString(),
        end_ts: new Date(chunk!.endTs).toISOString(),
        codec: "opus",
        sample_rate: "48000",
        channels: "1",
        chunk_id: chunk!.chunkId,
        sha256: stored!.sha256,
      }),
    );
    expect(stored!.bytes).toEqual(new Uint8Array(readFileSync(spool.dir.join("spool", chunk!.path.replace("outbox/", "sent/")))));
    expect(stored!.fileName).toBe(chunk!.path.slice("outbox/".length));
    expect(await stateOf(chunk!)).toMatchObject({ state: "uploaded", attempts: 1, storedPath: `${settings.pointId}/${chunk!.chunkId}.ogg` });
    expect(existsSync(spool.dir.join("spool", chunk!.path))).toBe(false);
    expect((await spool.deps.repository.counters()).uploaded_total).toBe(1);
  });

  test("chunks go oldest first, and an empty queue is idle", async () => {
    const chunks = await recordChunks(3);
    const instance = uploader();
    while ((await instance.tick(signal)) === "busy") {}
    expect(ingest.stored().map((stored) => stored.chunkId)).toEqual(chunks.map((chunk) => chunk.chunkId));
    expect(await instance.tick(signal)).toBe("idle");
  });

  test("a lost answer leads to a re-send the core recognises: stored once, marked uploaded", async () => {
    const [chunk] = await recordChunks(1);
    await ingest.setMode({ kind: "drop-after-body", failureRate: 1 });
    const instance = uploader();
    await expect(instance.tick(signal)).rejects.toThrow(RetryableUploadError);
    expect(ingest.stored()).toHaveLength(1);
    expect(await stateOf(chunk!)).toMatchObject({ state: "pending", attempts: 1 });
    await ingest.setMode({ kind: "up" });
    expect(await instance.tick(signal)).toBe("busy");
    expect(ingest.stored()).toHaveLength(1);
    expect(ingest.duplicateCount()).toBe(1);
    expect(await stateOf(chunk!)).toMatchObject({ state: "uploaded", attempts: 2 });
  });

  test("an unreachable core is a retryable failure: the chunk stays pending with the error, counted", async () => {
    const [chunk] = await recordChunks(1);
    const closed = `http://127.0.0.1:${await findFreePort()}`;
    await expect(uploader({ ingestBaseUrl: closed }).tick(signal)).rejects.toThrow(RetryableUploadError);
    const row = await stateOf(chunk!);
    expect(row).toMatchObject({ state: "pending", attempts: 1, serverFailures: 0 });
    expect(row.lastError).toContain("ECONNREFUSED");
    expect((await spool.deps.repository.counters()).upload_errors_total).toBe(1);
  });

  test("a 500 is retried; a core that never answers times out and is retried", async () => {
    const [chunk] = await recordChunks(1);
    await ingest.setMode({ kind: "flaky", failureRate: 1 });
    await expect(uploader().tick(signal)).rejects.toThrow("500 internal: simulated failure");
    expect(await stateOf(chunk!)).toMatchObject({ state: "pending", serverFailures: 1 });
    await ingest.setMode({ kind: "slow", delayMs: 2_000 });
    await expect(uploader({ requestTimeoutMs: 200 }).tick(signal)).rejects.toThrow("the core did not answer in time");
    expect(await stateOf(chunk!)).toMatchObject({ state: "pending", attempts: 2 });
  });

  test("a core whose disk is full (507) is retried later and never counts towards setting the chunk aside", async () => {
    const [chunk] = await recordChunks(1);
    await ingest.setMode({ kind: "storage-full" });
    const instance = uploader();
    for (let attempt = 0; attempt < maxServerFailuresPerChunk + 5; attempt++) await expect(instance.tick(signal)).rejects.toThrow("ingest.storage_full");
    expect(await stateOf(chunk!)).toMatchObject({ state: "pending", serverFailures: 0, attempts: maxServerFailuresPerChunk + 5 });
    expect(instance.status()).toMatchObject({ blocked: null, lastRejection: null });
    await ingest.setMode({ kind: "up" });
    expect(await instance.tick(signal)).toBe("busy");
    expect(await stateOf(chunk!)).toMatchObject({ state: "uploaded" });
  });

  test("server errors add up per chunk: a network failure between them neither adds to nor resets the count", async () => {
    const [chunk] = await recordChunks(1);
    const instance = uploader();
    for (const mode of [{ kind: "flaky", failureRate: 1 }, { kind: "down" }, { kind: "flaky", failureRate: 1 }] as const) {
      await ingest.setMode(mode);
      await expect(instance.tick(signal)).rejects.toThrow(RetryableUploadError);
    }
    expect(await stateOf(chunk!)).toMatchObject({ state: "pending", attempts: 3, serverFailures: 2 });
  });

  test("a refused token holds the whole queue without rejecting any chunk, and is probed again later", async () => {
    const chunks = await recordChunks(2);
    const lines: string[] = [];
    const instance = uploader({ ingestToken: "not-the-device-token" }, lines);
    expect(await instance.tick(signal)).toBe("idle");
    expect(instance.status().blocked).toMatchObject({ reason: "401 auth.invalid_token: unknown device token", nextAttemptAt: spool.deps.clock.now() + 300_000 });
    expect(await instance.tick(signal)).toBe("idle");
    expect(ingest.requestCount()).toBe(1);
    expect(await Promise.all(chunks.map(async (chunk) => (await stateOf(chunk)).state))).toEqual(["pending", "pending"]);
    await spool.deps.clock.advance(300_000);
    expect(await instance.tick(signal)).toBe("idle");
    expect(ingest.requestCount()).toBe(2);
    expect(lines.filter((line) => line.includes("refuses this device"))).toHaveLength(1);
  });

  test("a chunk the core rejects for good (422, 409) is set aside with the reason and the next one goes", async () => {
    const chunks = await recordChunks(2);
    const instance = uploader();
    // Another recording already stored under this chunk_id with other bytes: 409.
    await encodeOpusFile(fixtures.join("other.ogg"), 0.5);
    const other = new Uint8Array(readFileSync(fixtures.join("other.ogg")));
    const earlier = await sendChunk({
      baseUrl: ingest.url,
      token,
      request: { ...settings, startTs: chunks[0]!.startTs, endTs: chunks[0]!.endTs, channels: 1, chunkId: chunks[0]!.chunkId, sha256: sha256Hex(other) },
      file: other,
      fileName: "other.ogg",
      signal,
      timeoutMs: 5000,
    });
    expect(earlier.kind).toBe("stored");
    expect(await instance.tick(signal)).toBe("busy");
    expect(await stateOf(chunks[0]!)).toMatchObject({ state: "rejected", lastError: "409 ingest.chunk_conflict: chunk_id already stored with other content" });
    expect(instance.status().lastRejection).toMatchObject({ chunkId: chunks[0]!.chunkId });
    expect(await instance.tick(signal)).toBe("busy");
    expect(await stateOf(chunks[1]!)).toMatchObject({ state: "uploaded" });
    expect(await spool.deps.repository.counters()).toMatchObject({ rejected_total: 1, uploaded_total: 1 });
    expect(await spool.deps.repository.requeueRejected()).toBe(1);
    expect(await stateOf(chunks[0]!)).toMatchObject({ state: "pending" });
  });

  test("a chunk whose bytes no longer match its checksum is rejected by the core, not retried forever", async () => {
    const [chunk] = await recordChunks(1);
    await spool.database.client.execute({ sql: "UPDATE chunks SET sha256 = ? WHERE id = ?", args: ["0".repeat(64), chunk!.chunkId] });
    expect(await uploader().tick(signal)).toBe("busy");
    expect(await stateOf(chunk!)).toMatchObject({ state: "rejected", lastError: "422 ingest.checksum_mismatch: sha256 does not match the file" });
  });

  test("a chunk the core keeps failing on is set aside after many server errors so the others can go", async () => {
    const [chunk] = await recordChunks(1);
    await spool.database.client.execute({ sql: "UPDATE chunks SET server_failures = ? WHERE id = ?", args: [maxServerFailuresPerChunk - 1, chunk!.chunkId] });
    await ingest.setMode({ kind: "flaky", failureRate: 1 });
    await expect(uploader().tick(signal)).rejects.toThrow(RetryableUploadError);
    const row = await stateOf(chunk!);
    expect(row.state).toBe("rejected");
    expect(row.lastError).toStartWith(`set aside after ${maxServerFailuresPerChunk} server errors`);
  });

  test("a chunk whose file vanished is recorded as lost, not sent", async () => {
    const [chunk] = await recordChunks(1);
    rmSync(spool.dir.join("spool", chunk!.path));
    expect(await uploader().tick(signal)).toBe("busy");
    expect(await stateOf(chunk!)).toMatchObject({ state: "discarded", discardReason: "missing" });
    expect(ingest.requestCount()).toBe(0);
  });

  test("an answer that breaks the contract is retried rather than trusted", async () => {
    await recordChunks(1);
    const port = await findFreePort();
    const server = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("<html>captive portal</html>", { status: 200 }) });
    try {
      await expect(uploader({ ingestBaseUrl: `http://127.0.0.1:${port}` }).tick(signal)).rejects.toThrow("200 answer is not the contract's response: <html>captive portal</html>");
    } finally {
      server.stop(true);
    }
  });
});

describe("upload loop backoff", () => {
  // The defaults: retry_min_s 2, retry_max_s 300.
  const policy = uploadBackoffPolicy({ retryMinS: 2, retryMaxS: 300 });

  test("jitter never brings a retry below retry_min_s", () => {
    expect([1, 2, 3, 9].map((attempt) => backoffDelayMs(attempt, policy, () => 1))).toEqual([2000, 2000, 4000, 150_000]);
  });

  test("the loop retries after 2, 4, 8 … 256, 300, 300 s while the core is down, and resets at the first success", async () => {
    const [chunk] = await recordChunks(1);
    await ingest.setMode({ kind: "down" });
    const instance = uploader();
    const controller = new AbortController();
    const clock = spool.deps.clock;
    let attempts = 0;
    const loop = startBackgroundLoop({
      name: "uploader",
      intervalMs: 1000,
      clock,
      logger: spool.deps.logger,
      signal: controller.signal,
      backoff: policy,
      random: () => 0,
      tick: async (tickSignal) => {
        attempts++;
        return instance.tick(tickSignal);
      },
    });
    const settle = async (expected: number) => {
      for (let turn = 0; turn < 400 && attempts < expected; turn++) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(attempts).toBe(expected);
    };
    await settle(1);
    const expectedDelays = [2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000];
    for (const [index, delay] of expectedDelays.entries()) {
      await clock.advance(delay - 1);
      await settle(index + 1);
      await clock.advance(1);
      await settle(index + 2);
    }
    expect(loop.state().consecutiveFailures).toBe(expectedDelays.length + 1);
    await ingest.setMode({ kind: "up" });
    await clock.advance(300_000);
    await ingest.waitFor("the chunk", () => ingest.stored().length === 1);
    await waitUntil("the loop to recover", () => loop.state().consecutiveFailures === 0, 2000, 5);
    expect(await stateOf(chunk!)).toMatchObject({ state: "uploaded", attempts: expectedDelays.length + 2 });
    controller.abort();
    await loop.stopped;
  });
});
