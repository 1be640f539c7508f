import { afterEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync } from "node:fs";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { BackupError, backupDatabase, checkIntegrity } from "./backup.ts";
import { openDatabase } from "./open-database.ts";
import { spawnProcess } from "../runtime/process.ts";

let dir: TempDir;
afterEach(() => dir?.remove());

describe("backupDatabase", () => {
  test("a snapshot taken while writes continue restores to exactly a prefix of the acknowledged writes", async () => {
    dir = makeTempDir();
    const database = openDatabase({ url: `file:${dir.join("live.db")}` });
    await database.client.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)");
    let acknowledged = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        await database.client.execute({ sql: "INSERT INTO events (payload) VALUES (?)", args: ["p".repeat(500)] });
        acknowledged++;
        // The embedded client completes synchronously; yield so timers and the snapshot get their turn.
        if (acknowledged % 20 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
    await Bun.sleep(50);
    const acknowledgedBefore = acknowledged;
    const written = await backupDatabase(database.client, dir.join("backups/snap.db"));
    const acknowledgedAfter = acknowledged;
    await Bun.sleep(30);
    stop = true;
    await writer;
    expect(acknowledgedBefore).toBeGreaterThan(10);
    const liveCount = Number((await database.client.execute("SELECT count(*) FROM events")).rows[0]?.[0]);
    expect(liveCount).toBeGreaterThan(acknowledgedAfter);
    database.close();

    expect(written.bytes).toBeGreaterThan(0);
    // Restore: the snapshot file alone, no -wal/-shm next to it.
    const restoredDir = makeTempDir();
    copyFileSync(written.path, restoredDir.join("node.db"));
    expect(existsSync(restoredDir.join("node.db-wal"))).toBe(false);
    const restored = openDatabase({ url: `file:${restoredDir.join("node.db")}` });
    expect(await checkIntegrity(restored.client)).toBe("ok");
    // Exactly the first N acknowledged writes, intact: no gap, no torn row, nothing from after.
    const rows = await restored.client.execute("SELECT count(*) AS n, max(id) AS top, sum(length(payload) = 500) AS intact FROM events");
    const count = Number(rows.rows[0]?.n);
    expect(Number(rows.rows[0]?.top)).toBe(count);
    expect(Number(rows.rows[0]?.intact)).toBe(count);
    expect(count).toBeGreaterThanOrEqual(acknowledgedBefore);
    expect(count).toBeLessThanOrEqual(acknowledgedAfter);
    restored.close();
    restoredDir.remove();
  });

  test("a snapshot taken while another process writes in transactions contains whole transactions only", async () => {
    dir = makeTempDir();
    const path = dir.join("live.db");
    const database = openDatabase({ url: `file:${path}` });
    await database.client.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL)");
    const writerScript = dir.join("writer.ts");
    await Bun.write(
      writerScript,
      `import { Database } from "bun:sqlite";
const db = new Database(${JSON.stringify(path)});
db.exec("PRAGMA busy_timeout = 5000");
const insert = db.prepare("INSERT INTO items (batch) VALUES (?)");
const end = Date.now() + 800;
for (let batch = 1; Date.now() < end; batch++) db.transaction(() => { for (let i = 0; i < 10; i++) insert.run(batch); })();
db.close();`,
    );
    const writer = spawnProcess(process.execPath, [writerScript]);
    await Bun.sleep(200);
    const written = await backupDatabase(database.client, dir.join("snap.db"));
    expect(await writer.exited).toBe(0);
    database.close();

    const restored = openDatabase({ url: `file:${written.path}` });
    expect(await checkIntegrity(restored.client)).toBe("ok");
    const partial = await restored.client.execute("SELECT batch, count(*) AS n FROM items GROUP BY batch HAVING n != 10");
    expect(partial.rows).toHaveLength(0);
    const batches = await restored.client.execute("SELECT count(DISTINCT batch) AS batches, max(batch) AS top FROM items");
    expect(Number(batches.rows[0]?.batches)).toBeGreaterThan(0);
    expect(Number(batches.rows[0]?.batches)).toBe(Number(batches.rows[0]?.top));
    restored.close();
  });

  test("refuses to overwrite an existing file", async () => {
    dir = makeTempDir();
    const database = openDatabase({ url: `file:${dir.join("live.db")}` });
    await backupDatabase(database.client, dir.join("one.db"));
    await expect(backupDatabase(database.client, dir.join("one.db"))).rejects.toThrow(BackupError);
    database.close();
  });
});
