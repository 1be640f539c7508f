import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../shared/log/logger.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { spawnProcess } from "../../shared/runtime/process.ts";
import { createFakeClock } from "../../shared/testing/fake-clock.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { type RegisteredChunk, registerSegment } from "../spool/spool.usecases.ts";
import { decodeOggOpus } from "../testing/audio-fixtures.ts";
import { createTestSpool, type TestSpool } from "../testing/test-spool.ts";
import { recordingArguments } from "./ffmpeg-command.ts";
import { type RecorderOptions, startRecorder } from "./recorder.supervisor.ts";
import { recoverInterruptedSessions, writeSessionInfo } from "./recording-session.ts";

const device = "00000000-0000-0000-0000-000000000003";
const tone = { source: { kind: "lavfi" as const, graph: "sine=frequency=440:sample_rate=48000" }, description: "lavfi:sine" };

let spool: TestSpool;
beforeEach(async () => {
  spool = await createTestSpool();
});
afterEach(() => spool.dispose());

function recorderOptions(overrides: Partial<RecorderOptions> = {}): RecorderOptions & { chunks: RegisteredChunk[] } {
  const chunks: RegisteredChunk[] = [];
  return {
    chunks,
    resolveInput: async () => tone,
    sampleRate: 48000,
    bitrateKbps: 24,
    chunkSeconds: 1,
    layout: spool.deps.layout,
    clock: systemClock,
    deviceId: device,
    logger: silentLogger,
    registerSegment: (segment) => registerSegment(spool.deps, segment),
    onChunk: (chunk) => chunks.push(chunk),
    ...overrides,
  };
}

async function expectValidContiguousChunks(chunks: RegisteredChunk[]): Promise<void> {
  for (const [index, chunk] of chunks.entries()) {
    const bytes = new Uint8Array(readFileSync(join(spool.deps.layout.root, chunk.path)));
    const decoded = await decodeOggOpus(bytes);
    expect(decoded.errors).toBe(0);
    // Decoded audio matches the chunk's wall-clock span (within the codec's 6.5 ms priming).
    expect(Math.abs(decoded.samples / 48 - (chunk.endTs - chunk.startTs))).toBeLessThan(20);
    if (index > 0) expect(chunk.startTs).toBe(chunks[index - 1]!.endTs);
  }
}

describe("recorder", () => {
  test("records one-second chunks while wanted; stopping finishes the current chunk as a valid file", async () => {
    const options = recorderOptions();
    const recorder = startRecorder(options);
    expect(recorder.status()).toMatchObject({ state: "idle", recording: false });
    const before = Date.now();
    recorder.setWanted(true);
    await waitUntil("three chunks", () => options.chunks.length >= 3);
    expect(recorder.status()).toMatchObject({ state: "recording", recording: true, input: "lavfi:sine", consecutiveFailures: 0 });
    expect(recorder.status().pid).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    recorder.setWanted(false);
    await waitUntil("the recorder to go idle", () => recorder.status().state === "idle");
    const chunks = options.chunks;
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    expect(chunks.slice(0, 3).every((chunk) => chunk.endTs - chunk.startTs === 1000)).toBe(true);
    const last = chunks[chunks.length - 1]!;
    expect(last.endTs - last.startTs).toBeLessThan(1000);
    expect(Math.abs(chunks[0]!.startTs - before)).toBeLessThan(1500);
    await expectValidContiguousChunks(chunks);
    expect(readdirSync(spool.deps.layout.recordingDir)).toEqual([]);
    expect(await spool.deps.repository.totals()).toMatchObject({ pendingCount: chunks.length });
    await recorder.stop();
  });

  test("when the wall clock is set while recording (NTP after a boot without RTC), chunk times follow it", async () => {
    const shift = { ms: 0 };
    const settableClock = { now: () => Date.now() + shift.ms, sleep: systemClock.sleep };
    const options = recorderOptions({ clock: settableClock });
    const recorder = startRecorder(options);
    recorder.setWanted(true);
    await waitUntil("two chunks", () => options.chunks.length >= 2);
    shift.ms = 3_600_000;
    await waitUntil("three more chunks", () => options.chunks.length >= 5);
    recorder.setWanted(false);
    await recorder.stop();
    const chunks = options.chunks;
    const jumps = chunks.slice(1).map((chunk, index) => chunk.startTs - chunks[index]!.endTs).filter((gap) => gap !== 0);
    expect(jumps).toHaveLength(1);
    expect(Math.abs(jumps[0]! - 3_600_000)).toBeLessThan(1500);
    expect(Math.abs(chunks[chunks.length - 2]!.endTs - (Date.now() + shift.ms))).toBeLessThan(3000);
    expect(chunks.slice(0, -1).every((chunk) => chunk.endTs - chunk.startTs === 1000)).toBe(true);
  });

  test("when ffmpeg dies (microphone unplugged) it is restarted after 2, 4, 8 s, and the error is shown", async () => {
    const clock = createFakeClock();
    const options = recorderOptions({ clock, resolveInput: async () => ({ source: { kind: "alsa", device: "hw:9,0" }, description: "alsa:plughw:9,0" }) });
    const recorder = startRecorder(options);
    recorder.setWanted(true);
    await waitUntil("the first failure", () => recorder.status().state === "waiting_to_retry");
    expect(recorder.status()).toMatchObject({ consecutiveFailures: 1, restarts: 1, retryAt: clock.now() + 2000, recording: false });
    expect(recorder.status().lastError).toStartWith("ffmpeg exited with code");
    let delay = 2000;
    for (const failures of [2, 3, 4]) {
      expect(recorder.status().retryAt).toBe(clock.now() + delay);
      await clock.advance(delay - 1);
      expect(recorder.status()).toMatchObject({ state: "waiting_to_retry", restarts: failures - 1 });
      await clock.advance(1);
      await waitUntil(`failure ${failures}`, () => recorder.status().consecutiveFailures === failures && recorder.status().state === "waiting_to_retry");
      delay *= 2;
    }
    expect(recorder.status().retryAt).toBe(clock.now() + 16_000);
    recorder.setWanted(false);
    await recorder.stop();
    expect(options.chunks).toEqual([]);
  });

  test("with no microphone found it retries with the same backoff and says why", async () => {
    const clock = createFakeClock();
    let lookups = 0;
    const recorder = startRecorder(
      recorderOptions({
        clock,
        resolveInput: async () => {
          lookups++;
          return lookups < 3 ? { error: "no microphone found" } : tone;
        },
      }),
    );
    recorder.setWanted(true);
    await waitUntil("waiting", () => recorder.status().state === "waiting_to_retry");
    expect(recorder.status()).toMatchObject({ lastError: "no microphone found", consecutiveFailures: 1, restarts: 0 });
    await clock.advance(2000);
    await waitUntil("second lookup", () => recorder.status().consecutiveFailures === 2);
    await clock.advance(4000);
    await waitUntil("recording", () => recorder.status().recording);
    expect(lookups).toBe(3);
    await recorder.stop();
    expect(recorder.status()).toMatchObject({ state: "idle", recording: false, pid: null });
  });
});

describe("recovering what an interrupted run left", () => {
  test("segments whose registration failed (disk full) are kept, and recovered by a later pass", async () => {
    let failing = true;
    const options = recorderOptions({
      registerSegment: async (segment) => {
        if (failing) throw new Error("ENOSPC: no space left on device");
        return registerSegment(spool.deps, segment);
      },
    });
    const recorder = startRecorder(options);
    recorder.setWanted(true);
    await waitUntil("two segments written", () => {
      const dir = recorder.activeSessionDir();
      return dir !== null && existsSync(join(dir, "seg-000002.part"));
    });
    const dir = recorder.activeSessionDir()!;
    expect(await recoverInterruptedSessions(spool.deps.layout, { deviceId: device, logger: silentLogger, registerSegment: options.registerSegment }, dir)).toEqual([]);
    recorder.setWanted(false);
    await waitUntil("the recorder to go idle", () => recorder.status().state === "idle");
    await recorder.stop();
    expect(options.chunks).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.endsWith(".part")).length).toBeGreaterThanOrEqual(3);
    failing = false;
    const chunks = await recoverInterruptedSessions(spool.deps.layout, { deviceId: device, logger: silentLogger, registerSegment: (segment) => registerSegment(spool.deps, segment) });
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(existsSync(dir)).toBe(false);
    await expectValidContiguousChunks(chunks);
  });

  async function startBareFfmpeg(sessionId: string) {
    const dir = join(spool.deps.layout.recordingDir, sessionId);
    mkdirSync(dir, { recursive: true });
    const args = recordingArguments({ source: tone.source, sampleRate: 48000, bitrateKbps: 24, chunkSeconds: 1, sessionDir: dir });
    const child = spawnProcess("ffmpeg", args, { stderr: "ignore", detached: true });
    await writeSessionInfo(dir, { sessionId, pid: child.pid, input: "lavfi:sine", startedAt: Date.now(), anchorMs: Date.now() });
    return { dir, child };
  }

  test("an ffmpeg that outlived its agent is stopped and every segment it wrote becomes a chunk", async () => {
    const { dir, child } = await startBareFfmpeg("orphaned-run");
    await waitUntil("a third segment", () => readdirSync(dir).filter((name) => name.endsWith(".part")).length >= 3);
    const chunks = await recoverInterruptedSessions(spool.deps.layout, { deviceId: device, logger: silentLogger, registerSegment: (segment) => registerSegment(spool.deps, segment) });
    expect(await child.exited).not.toBe(137);
    expect(existsSync(dir)).toBe(false);
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    await expectValidContiguousChunks(chunks);
  });

  test("after a SIGKILL the cut-off segment is repaired and registered after the complete ones", async () => {
    const { dir, child } = await startBareFfmpeg("killed-run");
    const sizeOf = (name: string) => (existsSync(join(dir, name)) ? statSync(join(dir, name)).size : 0);
    await waitUntil("audio pages in the second segment", () => sizeOf("seg-000001.part") > 1000);
    child.kill("SIGKILL");
    await child.exited;
    const partsLeft = readdirSync(dir).filter((name) => name.endsWith(".part")).length;
    const chunks = await recoverInterruptedSessions(spool.deps.layout, { deviceId: device, logger: silentLogger, registerSegment: (segment) => registerSegment(spool.deps, segment) });
    expect(chunks).toHaveLength(partsLeft);
    await expectValidContiguousChunks(chunks);
    // The listed segments were complete; only the one ffmpeg was writing had to be salvaged.
    expect((await spool.deps.repository.counters()).salvaged_total).toBe(1);
    expect(chunks[chunks.length - 1]!.endTs - chunks[chunks.length - 1]!.startTs).toBeLessThan(1000);
  });
});
