/**
 * The recorder and the core, both from source under Deno 2 (`deno run` with the README's
 * permissions): the recorder records a generated tone with ffmpeg in one-second chunks and uploads
 * them to the core's ingest; SIGTERM finishes the chunk under way and exits 0.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../shared/db/open-database.ts";
import { startDenoNode } from "../shared/testing/deno-node.ts";
import type { RunningNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { waitUntil } from "../shared/testing/wait-until.ts";
import { agentEnvironment, closedScheduleWindow, type DeliveredChunk, expectDeliveredExactlyOnce, testDevice, waitForHealth } from "./testing/agent-process.ts";

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

/** The chunks the core stored, in the order it stored them, each with the file it wrote. */
function storedByCore(coreData: string): Promise<DeliveredChunk[]> {
  const database = openDatabase({ url: `file:${join(coreData, "core.db")}` });
  return database.client
    .execute("SELECT chunk_id, sha256, start_ts, end_ts, stored_path FROM audio_chunks ORDER BY rowid")
    .then((rows) =>
      rows.rows.map((row) => ({
        chunkId: String(row.chunk_id),
        sha256: String(row.sha256),
        fields: { start_ts: Number(row.start_ts), end_ts: Number(row.end_ts) },
        bytes: new Uint8Array(readFileSync(join(coreData, "audio", String(row.stored_path)))),
      })),
    )
    .finally(() => database.close());
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

    const recorder = await startRecorder();
    await waitUntil("three chunks stored by the core", async () => (await storedByCore(coreData)).length >= 3, 60_000, 200);
    expect(await stopNode(recorder)).toBe(0);
    // The chunk finished at the stop is still queued: a run outside the schedule delivers it.
    const drain = await startRecorder(closedScheduleWindow());
    const drained = await waitForHealth(drain, "an empty queue", (report) => report.queue_size === 0);
    expect(await stopNode(drain)).toBe(0);

    expect(drained).toMatchObject({ upload_errors_total: 0, rejected_total: 0 });
    const stored = await expectDeliveredExactlyOnce(testDir, await storedByCore(coreData), expect);
    expect(stored.length).toBeGreaterThanOrEqual(3);
    expect(await stopNode(core)).toBe(0);
  });
});
