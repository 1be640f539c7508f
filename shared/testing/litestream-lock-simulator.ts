/**
 * Imitates what Litestream does to a database it replicates, from a separate process with its own
 * SQLite library: a long-lived read transaction on _litestream_seq, released only to checkpoint
 * (PASSIVE), and short write locks taken with `BEGIN; INSERT INTO _litestream_lock` and rolled back.
 *   bun litestream-lock-simulator.ts <db path> <duration ms> <write lock ms> <read hold ms>
 * Prints {"writeLocks":n,"checkpoints":n} when done.
 */
import { Database } from "bun:sqlite";

const [path, durationText, writeLockText, readHoldText] = process.argv.slice(2);
if (!path) throw new Error("usage: litestream-lock-simulator.ts <db> <duration ms> <write lock ms> <read hold ms>");
const durationMs = Number(durationText ?? 2000);
const writeLockMs = Number(writeLockText ?? 100);
const readHoldMs = Number(readHoldText ?? 100);

const db = new Database(path);
db.exec("PRAGMA busy_timeout = 1000");
db.exec("PRAGMA wal_autocheckpoint = 0");
const mode = db.query("PRAGMA journal_mode = wal").get() as { journal_mode: string };
if (mode.journal_mode !== "wal") throw new Error(`journal mode is ${mode.journal_mode}`);
db.exec("CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)");
db.exec("CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER)");

let writeLocks = 0;
let checkpoints = 0;
const deadline = Date.now() + durationMs;
process.stdout.write("ready\n");
while (Date.now() < deadline) {
  // The long read transaction that stops anyone else from resetting the WAL.
  db.exec("BEGIN");
  db.query("SELECT COUNT(1) FROM _litestream_seq").get();
  Bun.sleepSync(readHoldMs);
  db.exec("ROLLBACK");

  // The write lock Litestream takes around a checkpoint.
  db.exec("BEGIN IMMEDIATE");
  db.exec("INSERT INTO _litestream_lock (id) VALUES (1)");
  Bun.sleepSync(writeLockMs);
  db.exec("ROLLBACK");
  writeLocks++;

  db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
  db.exec("INSERT INTO _litestream_seq (id, seq) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET seq = seq + 1");
  checkpoints++;
}
db.close();
process.stdout.write(`${JSON.stringify({ writeLocks, checkpoints })}\n`);
