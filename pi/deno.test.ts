/**
 * The recorder and the core, both from source under Deno 2 (`deno run` with the README's
 * permissions): the recorder records a generated tone with ffmpeg in one-second chunks and uploads
 * them to the core's ingest; SIGTERM finishes the chunk under way and exits 0.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../shared/db/open-database.ts";
import { startDenoNode } from "../shared/testing/deno-node.ts";
import type { RunningNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { agentEnvironment, chunksStoredByCore, type DeliveredChunk, expectRecordingDeliveredToCore, testDevice } from "./testing/agent-process.ts";

let dir: TempDir | undefined;
const running: RunningNodeProcess[] = [];

afterEach(async () => {
  for (const node of running.splice(0)) {
    node.child.kill("SIGKILL");
    await node.child.exited;
  }
  dir?.remove();
});

async function stopNode(node: RunningNodeProcess): Promise<number> {
  running.splice(running.indexOf(node), 1);
  return node.stop("SIGTERM");
}

/** The chunks the core stored, read from its database file. */
async function storedByCore(coreData: string): Promise<DeliveredChunk[]> {
  const database = openDatabase({ url: `file:${join(coreData, "core.db")}` });
  try {
    return await chunksStoredByCore(database.client, join(coreData, "audio"));
  } finally {
    database.close();
  }
}

describe("recorder → core, both under Deno", () => {
  test("every chunk recorded with ffmpeg reaches the core exactly once and decodes; SIGTERM exits 0", async () => {
    dir = makeTempDir("salescontrol-pi-deno-");
    const testDir = dir;
    mkdirSync(testDir.join("tmp"));
    const coreData = testDir.join("core-data");
    const adminToken = randomUUID();
    const core = await startDenoNode("core", ["serve"], {
      env: { PATH: "/usr/bin:/bin", HOME: testDir.path, TMPDIR: testDir.join("tmp"), DATA_DIR: coreData, ADMIN_TOKEN: adminToken, PORT: "0", HOST: "127.0.0.1" },
      dataDir: coreData,
      workDir: testDir.path,
    });
    running.push(core);
    const registered = await fetch(`${core.url}/api/v1/admin/devices`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ point_id: testDevice.pointId, register_id: testDevice.registerId, device_id: testDevice.deviceId, token_plain: testDevice.token }),
    });
    expect(registered.status).toBe(201);

    const startRecorder = async (overrides: Record<string, string> = {}) => {
      const recorder = await startDenoNode("pi", ["serve"], { env: agentEnvironment(testDir, core.url, overrides), dataDir: testDir.join("data/pi"), workDir: testDir.path });
      running.push(recorder);
      return recorder;
    };

    await expectRecordingDeliveredToCore({ dir: testDir, startRecorder, stopRecorder: stopNode, storedByCore: () => storedByCore(coreData), expect });
    expect(await stopNode(core)).toBe(0);
  });
});
