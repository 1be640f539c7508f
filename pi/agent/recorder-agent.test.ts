/**
 * The recorder as it runs on a Pi: `bun pi/main.ts serve` as a child process, real ffmpeg recording
 * a generated tone in one-second chunks, uploading to a local ingest that implements the shared
 * contract, through outages, flaky answers, lost answers, kills and quota pressure.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import {
  agentEnvironment,
  closedScheduleWindow,
  expectDeliveredExactlyOnce,
  readHealth,
  readJournal,
  startAgentProcess,
  testDevice,
  waitForHealth,
} from "../testing/agent-process.ts";
import { decodeOggOpus } from "../testing/audio-fixtures.ts";
import { type IngestMode, type LocalIngestServer, startLocalIngestServer } from "../testing/local-ingest-server.ts";

const mainPath = join(import.meta.dir, "..", "main.ts");
let dir: TempDir;
let ingest: LocalIngestServer;
const running: RunningNodeProcess[] = [];

afterEach(async () => {
  for (const agent of running.splice(0)) {
    agent.child.kill("SIGKILL");
    await agent.child.exited;
  }
  await ingest?.stop();
  dir?.remove();
});

async function setUp(mode: IngestMode) {
  dir = makeTempDir("salescontrol-pi-e2e-");
  ingest = await startLocalIngestServer({ devices: { [testDevice.token]: testDevice.deviceId }, mode });
}

async function startAgent(overrides: Record<string, string> = {}): Promise<RunningNodeProcess> {
  const agent = await startAgentProcess(process.execPath, [mainPath, "serve"], agentEnvironment(dir, ingest.url, overrides), dir.path);
  running.push(agent);
  return agent;
}

async function stopAgent(agent: RunningNodeProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number> {
  const code = await agent.stop(signal);
  running.splice(running.indexOf(agent), 1);
  return code;
}

/** Restarts the recorder outside its schedule so it only delivers what is queued, then stops it. */
async function drainQueue(): Promise<void> {
  const agent = await startAgent(closedScheduleWindow());
  await waitForHealth(agent, "an empty queue", (report) => report.queue_size === 0 && report.recording === false);
  expect(await stopAgent(agent)).toBe(0);
}

const isProcessAlive = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

describe("recorder agent, end to end", () => {
  test("ingest down for several chunks, then up: every chunk arrives exactly once, in order, valid and one second long", async () => {
    await setUp({ kind: "down" });
    const agent = await startAgent();
    const queued = await waitForHealth(agent, "three queued chunks", (report) => report.queue_size >= 3);
    expect(queued).toMatchObject({ recording: true, in_schedule: true, uploaded_total: 0, status: "ok" });
    expect(queued.upload_errors_total).toBeGreaterThan(0);
    expect(queued.last_error).toContain("ECONNREFUSED");
    await ingest.setMode({ kind: "up" });
    await waitForHealth(agent, "the backlog delivered", (report) => report.uploaded_total >= queued.queue_size + 2);
    expect(await stopAgent(agent)).toBe(0);
    await drainQueue();
    const stored = await expectDeliveredExactlyOnce(dir, ingest.stored(), expect);
    const spans = stored.map((chunk) => chunk.fields.end_ts - chunk.fields.start_ts);
    expect(spans.slice(0, -1).every((span) => span === 1000)).toBe(true);
    for (let index = 1; index < stored.length; index++) expect(stored[index]!.fields.start_ts).toBe(stored[index - 1]!.fields.end_ts);
  });

  test("ingest answers 500 half the time: still exactly once", async () => {
    await setUp({ kind: "flaky", failureRate: 0.5 });
    const agent = await startAgent();
    await ingest.waitFor("five chunks", () => ingest.stored().length >= 5, 40_000);
    expect(ingest.errorCounts()[500]).toBeGreaterThan(0);
    expect(await stopAgent(agent)).toBe(0);
    await ingest.setMode({ kind: "up" });
    await drainQueue();
    await expectDeliveredExactlyOnce(dir, ingest.stored(), expect);
  });

  test("ingest drops the connection after storing the body half the time: re-sends are recognised, exactly once", async () => {
    await setUp({ kind: "drop-after-body", failureRate: 0.5 });
    const agent = await startAgent();
    await ingest.waitFor("five chunks and a lost answer", () => ingest.stored().length >= 5 && ingest.duplicateCount() >= 1, 40_000);
    expect(await stopAgent(agent)).toBe(0);
    await ingest.setMode({ kind: "up" });
    await drainQueue();
    await expectDeliveredExactlyOnce(dir, ingest.stored(), expect);
    expect(ingest.duplicateCount()).toBeGreaterThanOrEqual(1);
  });

  test("killed with SIGKILL mid-upload and restarted: nothing lost, nothing duplicated", async () => {
    await setUp({ kind: "slow", delayMs: 1500 });
    const agent = await startAgent();
    const { recorder } = await waitForHealth(agent, "recording", (report) => report.recording === true);
    // The ingest has stored the second chunk and holds its answer: the agent does not know yet.
    await ingest.waitFor("a stored chunk whose answer is pending", () => ingest.stored().length >= 2, 30_000);
    expect(await stopAgent(agent, "SIGKILL")).toBe(137);
    const orphan = recorder.pid as number;
    expect(isProcessAlive(orphan)).toBe(true);
    await ingest.setMode({ kind: "up" });
    const restarted = await startAgent();
    expect(isProcessAlive(orphan)).toBe(false);
    const report = await waitForHealth(restarted, "new chunks delivered", (candidate) => candidate.uploaded_total >= 5);
    expect(report.recorder.pid).not.toBe(orphan);
    expect(await stopAgent(restarted)).toBe(0);
    await drainQueue();
    await expectDeliveredExactlyOnce(dir, ingest.stored(), expect);
    expect(ingest.duplicateCount()).toBeGreaterThanOrEqual(1);
    expect(restarted.logLines().some((line) => line.includes("an ffmpeg from a previous run is still recording"))).toBe(true);
  });

  test("ffmpeg dies (microphone unplugged): restarted with backoff, recording resumes, the cut chunk is kept", async () => {
    await setUp({ kind: "up" });
    const agent = await startAgent();
    const before = await waitForHealth(agent, "two uploads", (report) => report.uploaded_total >= 2 && report.recording === true);
    process.kill(before.recorder.pid, "SIGKILL");
    const failed = await waitForHealth(agent, "the failure", (report) => report.recorder.restarts === 1 && report.recorder.state === "waiting_to_retry");
    expect(failed).toMatchObject({ recording: false, status: "degraded" });
    expect(failed.recorder.last_error).toContain("ffmpeg exited with code 137");
    expect(Date.parse(failed.recorder.retry_at) - Date.now()).toBeLessThanOrEqual(2000);
    const resumed = await waitForHealth(agent, "recording again", (report) => report.recording === true && report.recorder.pid !== before.recorder.pid);
    expect(resumed).toMatchObject({ status: "ok" });
    await waitForHealth(agent, "chunks of the new run", (report) => report.uploaded_total >= before.uploaded_total + 3);
    expect(await stopAgent(agent)).toBe(0);
    await drainQueue();
    const stored = await expectDeliveredExactlyOnce(dir, ingest.stored(), expect);
    const gaps = stored.slice(1).map((chunk, index) => chunk.fields.start_ts - stored[index]!.fields.end_ts);
    expect(gaps.filter((gap) => gap > 0)).toHaveLength(1);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(1500);
  });

  test("spool over quota: uploaded chunks are deleted first, then the oldest unsent; health counts both", async () => {
    await setUp({ kind: "up" });
    // Room for about three one-second chunks of this tone (~4.6 kB each).
    const agent = await startAgent({ RA_MAX_SPOOL_GB: String(14_000 / 1e9) });
    await waitForHealth(agent, "three uploads", (report) => report.uploaded_total >= 3);
    await ingest.setMode({ kind: "down" });
    const report = await waitForHealth(agent, "unsent chunks deleted", (candidate) => candidate.deleted_unsent_total >= 2);
    expect(await stopAgent(agent)).toBe(0);
    const journal = await readJournal(dir);
    const uploadedBefore = ingest.stored().length;
    const discarded = journal.filter((row) => row.state === "discarded");
    const pending = journal.filter((row) => row.state === "pending");
    expect(journal.filter((row) => row.state === "uploaded")).toEqual([]);
    expect(discarded.length).toBeGreaterThanOrEqual(2);
    expect(discarded.every((row) => row.discardReason === "quota")).toBe(true);
    expect(Math.max(...discarded.map((row) => row.startTs))).toBeLessThan(Math.min(...pending.map((row) => row.startTs)));
    for (const row of discarded) expect(existsSync(join(dir.path, "data/pi/spool", row.path))).toBe(false);
    const final = await startAgent(closedScheduleWindow());
    const counted = await readHealth(final);
    expect(counted).toMatchObject({ deleted_uploaded_total: uploadedBefore, deleted_unsent_total: discarded.length, queue_size: pending.length, uploaded_total: uploadedBefore });
    expect(counted.spool_bytes).toBeLessThanOrEqual(14_000);
    expect(report.deleted_uploaded_total).toBe(uploadedBefore);
    expect(await stopAgent(final)).toBe(0);
  });

  test("SIGTERM mid-chunk: exit 0, the partial chunk is a valid Ogg Opus file, delivered after the restart", async () => {
    await setUp({ kind: "down" });
    const agent = await startAgent({ RA_CHUNK_SECONDS: "3" });
    await waitForHealth(agent, "one chunk", (report) => report.recorded_total >= 1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await stopAgent(agent)).toBe(0);
    const journal = await readJournal(dir);
    const partial = journal[journal.length - 1]!;
    expect(journal.length).toBeGreaterThanOrEqual(2);
    expect(partial.state).toBe("pending");
    expect(partial.endTs - partial.startTs).toBeGreaterThan(0);
    expect(partial.endTs - partial.startTs).toBeLessThan(3000);
    expect(partial.startTs).toBe(journal[journal.length - 2]!.endTs);
    const decoded = await decodeOggOpus(new Uint8Array(readFileSync(join(dir.path, "data/pi/spool", partial.path))));
    expect(decoded.errors).toBe(0);
    expect(agent.logLines().map((line) => JSON.parse(line).msg).slice(-3)).toEqual(["chunk recorded", "recording stopped", "stopped"]);
    await ingest.setMode({ kind: "up" });
    await drainQueue();
    const stored = await expectDeliveredExactlyOnce(dir, ingest.stored(), expect);
    expect(stored[stored.length - 1]!.chunkId).toBe(partial.id);
  });
});
