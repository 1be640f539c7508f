/**
 * The recorder against the real core ingest rather than pi/testing's stand-in: `bun pi/main.ts
 * serve` records a generated tone in one-second chunks and uploads them to the core's app, served
 * on a real socket, with the recorder registered as a device.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createTestCore, type TestCore } from "../core/testing/core-test-app.ts";
import {
  agentEnvironment,
  chunksStoredByCore,
  type DeliveredChunk,
  expectRecordingDeliveredToCore,
  startAgentProcess,
  testDevice,
} from "../pi/testing/agent-process.ts";
import { systemClock } from "../shared/runtime/clock.ts";
import { type RunningHttpServer, startHttpServer } from "../shared/runtime/http-server.ts";
import { createFakeClock } from "../shared/testing/fake-clock.ts";
import type { RunningNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";

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
function storedByCore(core: TestCore): Promise<DeliveredChunk[]> {
  return chunksStoredByCore(core.database.client, core.config.audioStoragePath);
}

describe("pi → core", () => {
  test("every chunk the recorder records reaches the core's ingest exactly once and decodes", async () => {
    // The core runs on the wall clock: it refuses chunks whose end lies ahead of its own time.
    core = await createTestCore({}, { clock: { ...createFakeClock(), ...systemClock } });
    await core.registerDevice(testDevice);
    server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
    dir = makeTempDir("salescontrol-pi-core-");

    await expectRecordingDeliveredToCore({ dir, startRecorder, stopRecorder, storedByCore: () => storedByCore(core!), expect });
  });
});
