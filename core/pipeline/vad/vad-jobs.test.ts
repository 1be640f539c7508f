import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { vadQueueName } from "../../../shared/contracts/vad-jobs.ts";
import { MetricsRegistry } from "../../../shared/http/metrics.ts";
import type { JobQueue } from "../../../shared/jobs/job-queue.ts";
import { silentLogger } from "../../../shared/log/logger.ts";
import { waitUntil } from "../../../shared/testing/wait-until.ts";
import { audioChunks, jobs, speechSegments } from "../../db/schema.ts";
import { createTestCore, type TestCore, type TestDevice } from "../../testing/core-test-app.ts";
import { headerPagesOnly, noiseChunk, opusBomb, speechChunk } from "../../testing/test-audio.ts";
import { JobFailedError } from "../job-lease.ts";
import { createOpusPcmDecoder, decodeFileInSlices } from "./opus-pcm-decoder.ts";
import { AudioLongerThanDeclaredError, audioBoundOf, createSpeechAnalyzer, type SpeechAnalyzer } from "./speech-analyzer.ts";
import { createVadJobQueue, type LocalVadDeps, registerVadMetrics, runVadJob, startVadLoop } from "./vad-jobs.ts";

let core: TestCore;
let device: TestDevice;
let queue: JobQueue;
let deps: LocalVadDeps;
let analyzer: SpeechAnalyzer;
let speech: Awaited<ReturnType<typeof speechChunk>>;

beforeAll(async () => {
  analyzer = await createSpeechAnalyzer();
  speech = await speechChunk({ seconds: 5, atMs: 1000, text: "Shall I wrap the flowers for you?" });
});
afterAll(() => analyzer.free());
beforeEach(async () => {
  core = await createTestCore();
  device = await core.registerDevice();
  queue = createVadJobQueue(core.database.db, core.clock);
  const metrics = new MetricsRegistry();
  deps = {
    db: core.database.db,
    clock: core.clock,
    settings: { silenceGapMs: 20_000, maxDialogueMs: 900_000, closeGraceMs: 180_000 },
    queue,
    storage: core.storage,
    logger: silentLogger,
    metrics: registerVadMetrics(metrics),
  };
});
afterEach(() => core.dispose());

async function uploadAndRun(bytes: Uint8Array, prepare?: (chunkId: string) => void) {
  const chunkId = randomUUID();
  expect((await core.upload(device, { bytes, chunkId, startTs: core.clock.now() - 60_000 })).status).toBe(200);
  prepare?.(chunkId);
  const job = await queue.claim(vadQueueName);
  await runVadJob(deps, analyzer, job!);
  const [chunk] = await core.database.db.select().from(audioChunks);
  const [jobRow] = await core.database.db.select().from(jobs);
  return { chunkId, chunk, job: jobRow };
}

describe("the in-process VAD job", () => {
  test("finds the spoken sentence, stores it with absolute times and completes the job", async () => {
    const { chunk, job } = await uploadAndRun(speech.bytes);
    expect(chunk).toMatchObject({ vadStatus: "done", audioMs: 5000 });
    expect(job!.state).toBe("done");
    const segments = await core.database.db.select().from(speechSegments);
    expect(segments).toHaveLength(1);
    expect(Math.abs(segments[0]!.offsetStartMs - speech.speech.startMs)).toBeLessThanOrEqual(500);
    expect(Math.abs(segments[0]!.offsetEndMs - speech.speech.endMs)).toBeLessThanOrEqual(500);
    expect(segments[0]!.startTs).toBe(chunk!.startTs + segments[0]!.offsetStartMs);
  });

  test("noise alone holds no speech", async () => {
    const { chunk } = await uploadAndRun(await noiseChunk(2));
    expect(chunk).toMatchObject({ vadStatus: "done", speechMs: 0 });
  });

  test("a file that vanished from storage, or holds no audio, fails permanently and marks the chunk", async () => {
    const vanished = await uploadAndRun(speech.bytes, () => rmSync(core.config.audioStoragePath, { recursive: true }));
    expect(vanished.job!.state).toBe("dead");
    expect(vanished.chunk!.vadStatus).toBe("failed");
    expect(vanished.chunk!.vadError).toContain("cannot read");
    core.dispose();
    core = await createTestCore();
    device = await core.registerDevice();
    queue = createVadJobQueue(core.database.db, core.clock);
    deps = { ...deps, db: core.database.db, clock: core.clock, queue, storage: core.storage };
    const empty = await uploadAndRun(headerPagesOnly(speech.bytes));
    expect(empty.job!.state).toBe("dead");
    expect(empty.chunk).toMatchObject({ vadStatus: "failed", vadError: "the file holds no audio" });
  });

  test("a file that cannot be read for now is retried later, and the VAD loop backs off meanwhile", async () => {
    const chunkId = randomUUID();
    expect((await core.upload(device, { bytes: speech.bytes, chunkId, startTs: core.clock.now() - 60_000, endTs: core.clock.now() - 55_000 })).status).toBe(200);
    const unreadable = { ...deps, storage: { ...deps.storage, read: () => Promise.reject(new Error("EIO: i/o error")) } };
    const job = await queue.claim(vadQueueName);
    await expect(runVadJob(unreadable, analyzer, job!)).rejects.toBeInstanceOf(JobFailedError);
    expect((await core.database.db.select().from(jobs))[0]).toMatchObject({ state: "queued", attempts: 1, lastError: expect.stringContaining("EIO") });
    expect((await core.database.db.select().from(audioChunks))[0]!.vadStatus).toBe("pending");

    await core.clock.advance(60_000);
    const shutdown = new AbortController();
    const vad = startVadLoop(unreadable, shutdown.signal);
    await waitUntil("the loop to count the failure", () => vad.loops[0]!.state().consecutiveFailures === 1);
    shutdown.abort();
    await vad.stop();
  });

  test("the analyzer keeps working after a file it could not decode", async () => {
    await expect(analyzer.analyze(headerPagesOnly(speech.bytes), 10_000)).rejects.toThrow("no audio");
    const again = await analyzer.analyze(speech.bytes, 10_000);
    expect(again.segments).toHaveLength(1);
    expect(again.audio_ms).toBe(5000);
  });
});

describe("audio bombs: decoding is bounded by what the chunk declares", () => {
  test("a bomb stored for a 60 s chunk fails at once without being decoded, and the chunk after it is analysed", async () => {
    const start = core.clock.now() - 600_000;
    const bombId = randomUUID();
    expect((await core.upload(device, { bytes: await noiseChunk(2), chunkId: bombId, startTs: start, endTs: start + 2000 })).status).toBe(200);
    // A chunk accepted before ingest compared spans with the audio: its file is 30 minutes of 120 ms packets.
    const [stored] = await core.database.db.select().from(audioChunks);
    await Bun.write(`${core.config.audioStoragePath}/${stored!.storedPath}`, opusBomb(speech.bytes, 1800));
    const nextId = randomUUID();
    expect((await core.upload(device, { bytes: speech.bytes, chunkId: nextId, startTs: start + 2000, endTs: start + 7000 })).status).toBe(200);

    const shutdown = new AbortController();
    const vad = startVadLoop(deps, shutdown.signal);
    const chunkState = async () => (await core.database.db.select().from(audioChunks)).map((row) => [row.chunkId, row.vadStatus] as const);
    await waitUntil("both chunks to leave pending", async () => (await chunkState()).every(([, state]) => state !== "pending"));
    shutdown.abort();
    await vad.stop();

    const rows = new Map((await core.database.db.select().from(audioChunks)).map((row) => [row.chunkId, row]));
    expect(rows.get(bombId)).toMatchObject({ vadStatus: "failed", audioMs: null });
    expect(rows.get(bombId)!.vadError).toContain("more than the 4020 ms its chunk's times allow; not decoded");
    expect(rows.get(nextId)).toMatchObject({ vadStatus: "done", audioMs: 5000 });
    expect(core.metrics.render()).not.toContain("vad_audio_seconds_total 180");
  });

  test("the analyzer refuses audio past the bound, and decoding itself stops within one slice of it", async () => {
    const bomb = opusBomb(speech.bytes, 1800);
    const bound = audioBoundOf({ start_ts: 0, end_ts: 60_000 });
    expect(bound).toBe(62_600);
    await expect(analyzer.analyze(bomb, bound)).rejects.toBeInstanceOf(AudioLongerThanDeclaredError);
    const decoder = await createOpusPcmDecoder();
    try {
      const untilSamples = bound * 16;
      const { samples } = await decodeFileInSlices(decoder, bomb, () => {}, untilSamples);
      const wholeFileSamples = 1800 * 16_000;
      expect(samples).toBeGreaterThanOrEqual(untilSamples);
      expect(samples).toBeLessThan(wholeFileSamples / 2);
    } finally {
      decoder.free();
    }
    // A chunk within its bound is analysed as before.
    expect((await analyzer.analyze(speech.bytes, audioBoundOf({ start_ts: 0, end_ts: 5000 }))).audio_ms).toBe(5000);
  });
});
