import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { spawnProcess } from "../runtime/process.ts";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { openDatabase } from "./open-database.ts";

const simulator = join(import.meta.dir, "../testing/litestream-lock-simulator.ts");
let dir: TempDir;
afterEach(() => dir?.remove());

/** Writes as fast as the node would while the simulator locks the same file; counts busy errors. */
async function writeUnderLitestream(busyTimeoutMs: number | undefined): Promise<{ writes: number; busyErrors: number; simulator: { writeLocks: number } }> {
  dir = makeTempDir();
  const path = dir.join("node.db");
  const database = openDatabase({ url: `file:${path}`, underLitestream: true, busyTimeoutMs });
  await database.client.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)");

  const child = spawnProcess(process.execPath, [simulator, path, "1500", "120", "60"], { stdout: "pipe", stderr: "pipe" });
  const output = new Response(child.stdout).text();
  // Wait until the simulator holds its tables and begins locking.
  const started = Date.now();
  while (Date.now() - started < 5000) {
    const tables = await database.client.execute("SELECT name FROM sqlite_master WHERE name = '_litestream_lock'");
    if (tables.rows.length > 0) break;
    await Bun.sleep(10);
  }

  let writes = 0;
  let busyErrors = 0;
  const exited = child.exited;
  let done = false;
  exited.then(() => (done = true));
  while (!done) {
    try {
      await database.client.batch([{ sql: "INSERT INTO events (at, body) VALUES (?, ?)", args: [Date.now(), "x".repeat(200)] }], "write");
      writes++;
    } catch (error) {
      if (/SQLITE_BUSY|database is locked/i.test(String((error as Error).message) + String((error as { code?: string }).code))) busyErrors++;
      else throw error;
    }
    await Bun.sleep(2);
  }
  expect(await exited).toBe(0);
  const report = JSON.parse((await output).trim().split("\n").pop()!);
  const stored = Number((await database.client.execute("SELECT count(*) FROM events")).rows[0]?.[0]);
  expect(stored).toBe(writes);
  database.close();
  console.log(`busy_timeout=${busyTimeoutMs ?? "default"}: ${writes} writes, ${busyErrors} busy errors, ${report.writeLocks} simulated write locks`);
  return { writes, busyErrors, simulator: report };
}

describe("writes while Litestream holds its locks", () => {
  test("with the node's busy_timeout, no write fails", async () => {
    const result = await writeUnderLitestream(undefined);
    expect(result.simulator.writeLocks).toBeGreaterThan(3);
    expect(result.writes).toBeGreaterThan(50);
    expect(result.busyErrors).toBe(0);
  });

  test("negative control: with busy_timeout=0 the same pattern makes writes fail", async () => {
    const result = await writeUnderLitestream(0);
    expect(result.simulator.writeLocks).toBeGreaterThan(3);
    expect(result.busyErrors).toBeGreaterThan(0);
  });
});
