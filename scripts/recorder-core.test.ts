/**
 * The recorder against the real core ingest rather than pi/testing's stand-in: `bun pi/main.ts
 * serve` records a generated tone in one-second chunks and uploads them to the core's app, served
 * on a real socket, with the recorder registered as a device.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createTestCore, type TestCore } from "../core/testing/core-test-app.ts";
import {
  agentEnvironment,
  closedScheduleWindow,
  type DeliveredChunk,
  expectDeliveredExactlyOnce,
  startAgentProcess,
  testDevice,
  waitForHealth,
} from "../pi/testing/agent-process.ts";
import { systemClock } from "../shared/runtime/clock.ts";
import { type RunningHttpServer, startHttpServer } from "../shared/runtime/http-server.ts";
import { createFakeClock } from "../shared/testing/fake-clock.ts";
import type { RunningNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { waitUntil } from "../shared/testing/wait-until.ts";

const piMain = join(import.meta.dir, "../pi/main.ts");
let core: TestCore | undefined;
let server: RunningHttpServer | undefined;
let dir: TempDir | undefined;
const running: RunningNodeProcess[] = [];

afterEach(async () => {
  for (const agent of running.splice(0)) {
    agent.child.kill("SIGKILL");
    await agent.child.exited;
  }
  await server?.forceStop();
  core?.dispose();
  dir?.remove();
});

async function startRecorder(overrides: Record<string, string> = {}): Promise<RunningNodeProcess> {
  const agent = await startAgentProcess(process.execPath, [piMain, "serve"], agentEnvironment(dir!, server!.url, overrides), dir!.path);
  running.push(agent);
  return agent;
}

async function stopRecorder(agent: RunningNodeProcess): Promise<number> {
  running.splice(running.indexOf(agent), 1);
  return agent.stop("SIGTERM");
}

/** The chunks the core stored, in the order it stored them, each with the file it wrote. */
async function storedByCore(core: TestCore): Promise<DeliveredChunk[]> {
  const rows = await core.database.client.execute("SELECT chunk_id, sha256, start_ts, end_ts, stored_path FROM audio_chunks ORDER BY rowid");
  return rows.rows.map((row) => ({
    chunkId: String(row.chunk_id),
    sha256: String(row.sha256),
    fields: { start_ts: Number(row.start_ts), end_ts: Number(row.end_ts) },
    bytes: new Uint8Array(readFileSync(join(core.config.audioStoragePath, String(row.stored_path)))),
  }));
}

describe("pi → core", () => {
  test("every chunk the recorder records reaches the core's ingest exactly once and decodes", async () => {
    // The core runs on the wall clock: it refuses chunks whose end lies ahead of its own time.
    core = await createTestCore({}, { clock: { ...createFakeClock(), ...systemClock } });
    await core.registerDevice(testDevice);
    server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
    dir = makeTempDir("salescontrol-pi-core-");

    const recorder = await startRecorder();
    await waitUntil("three chunks stored by the core", async () => (await storedByCore(core!)).length >= 3, 30_000);
    expect(await stopRecorder(recorder)).toBe(0);
    // The chunk finished at the stop is still queued: a run outside the schedule delivers it.
    const drain = await startRecorder(closedScheduleWindow());
    const drained = await waitForHealth(drain, "an empty queue", (report) => report.queue_size === 0);
    expect(await stopRecorder(drain)).toBe(0);

    // The core took every upload at the first attempt: no field, format or clock it refused.
    expect(drained).toMatchObject({ upload_errors_total: 0, rejected_total: 0 });
    const stored = await expectDeliveredExactlyOnce(dir, await storedByCore(core), expect);
    expect(stored.length).toBeGreaterThanOrEqual(3);
  });
});
