import { afterEach, describe, expect, test } from "bun:test";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { applyMigrations, type Migration, MigrationError, splitStatements } from "./migrations.ts";
import { openDatabase } from "./open-database.ts";

const first: Migration = { tag: "0000_first", sql: "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT);\n--> statement-breakpoint\nCREATE INDEX a_name ON a (name);" };
const second: Migration = { tag: "0001_second", sql: "ALTER TABLE a ADD COLUMN note TEXT;" };

let dir: TempDir;
afterEach(() => dir?.remove());

async function appliedTags(database: ReturnType<typeof openDatabase>): Promise<string[]> {
  return (await database.client.execute("SELECT tag FROM _salescontrol_migrations ORDER BY tag")).rows.map((row) => String(row.tag));
}

function openFresh() {
  dir = makeTempDir();
  return openDatabase({ url: `file:${dir.join("node.db")}` });
}

describe("applyMigrations", () => {
  test("applies pending migrations in order, once", async () => {
    const database = openFresh();
    expect(await applyMigrations(database.client, [first])).toEqual({ applied: ["0000_first"], alreadyApplied: 0 });
    expect(await applyMigrations(database.client, [first, second])).toEqual({ applied: ["0001_second"], alreadyApplied: 1 });
    expect(await applyMigrations(database.client, [first, second])).toEqual({ applied: [], alreadyApplied: 2 });
    expect(await appliedTags(database)).toEqual(["0000_first", "0001_second"]);
    await database.client.execute("INSERT INTO a (name, note) VALUES ('x', 'y')");
    database.close();
  });

  test("leaves Litestream's tables alone and works beside them", async () => {
    const database = openFresh();
    await database.client.batch([
      "CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)",
      "CREATE TABLE _litestream_lock (id INTEGER)",
      "INSERT INTO _litestream_seq (id, seq) VALUES (1, 7)",
    ]);
    await applyMigrations(database.client, [first, second]);
    const seq = await database.client.execute("SELECT seq FROM _litestream_seq WHERE id = 1");
    expect(seq.rows[0]?.[0]).toBe(7);
    const tables = (await database.client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).rows.map((row) => row[0]);
    expect(tables).toEqual(["_litestream_lock", "_litestream_seq", "_salescontrol_migrations", "a"]);
    database.close();
  });

  test("a failing migration changes nothing and is not recorded", async () => {
    const database = openFresh();
    const broken: Migration = { tag: "0001_broken", sql: "CREATE TABLE b (id INTEGER);\n--> statement-breakpoint\nCREATE TABLE b (id INTEGER);" };
    await applyMigrations(database.client, [first]);
    await expect(applyMigrations(database.client, [first, broken])).rejects.toThrow(/already exists/);
    const tables = (await database.client.execute("SELECT name FROM sqlite_master WHERE name = 'b'")).rows;
    expect(tables).toHaveLength(0);
    expect(await appliedTags(database)).toEqual(["0000_first"]);
    database.close();
  });

  test("refuses a database migrated by a newer build, and a changed migration", async () => {
    const database = openFresh();
    await applyMigrations(database.client, [first, second]);
    await expect(applyMigrations(database.client, [first])).rejects.toThrow(new MigrationError("the database has migration 0001_second, which this build does not know: it was written by a newer version"));
    await expect(applyMigrations(database.client, [{ ...first, sql: `${first.sql} ` }, second])).rejects.toThrow("migration 0000_first differs");
    database.close();
  });

  test("splits drizzle-kit's statement breakpoints", () => {
    expect(splitStatements("A;--> statement-breakpoint\nB;\n--> statement-breakpoint\n")).toEqual(["A;", "B;"]);
  });
});
