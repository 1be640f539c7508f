import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generateSQLiteDrizzleJson, generateSQLiteMigration } from "drizzle-kit/api";
import * as coreSchema from "../core/db/schema.ts";
import { migrations as coreMigrations } from "../core/db/migrations.ts";
import * as edgeSchema from "../edge/db/schema.ts";
import { migrations as edgeMigrations } from "../edge/db/migrations.ts";
import * as piSchema from "../pi/db/schema.ts";
import { migrations as piMigrations } from "../pi/db/migrations.ts";
import { applyMigrations } from "../shared/db/migrations.ts";
import { openDatabase } from "../shared/db/open-database.ts";
import { makeTempDir } from "../shared/testing/temp-dir.ts";
import { migrationIndexSource, readMigrationJournal } from "./db-generate.ts";

const nodes = [
  { node: "core", schema: coreSchema, migrations: coreMigrations },
  { node: "edge", schema: edgeSchema, migrations: edgeMigrations },
  { node: "pi", schema: piSchema, migrations: piMigrations },
];

describe.each(nodes)("$node migrations", ({ node, schema, migrations }) => {
  test("the embedded index lists every migration drizzle-kit generated, in order", () => {
    const tags = readMigrationJournal(node).map((entry) => entry.tag);
    expect(tags.length).toBeGreaterThan(0);
    expect(migrations.map((migration) => migration.tag)).toEqual(tags);
    expect(readFileSync(join(import.meta.dir, "..", node, "db/migrations.ts"), "utf8")).toBe(migrationIndexSource(node, tags));
  });

  test("the schema has no change that a migration does not carry", async () => {
    const tags = readMigrationJournal(node);
    const last = tags.length - 1;
    const snapshot = JSON.parse(readFileSync(join(import.meta.dir, "..", node, `db/migrations/meta/${String(last).padStart(4, "0")}_snapshot.json`), "utf8"));
    const pending = await generateSQLiteMigration(snapshot, await generateSQLiteDrizzleJson(schema));
    expect(pending).toEqual([]);
  });

  test("the migrations build the schema on an empty database and beside Litestream's tables", async () => {
    const dir = makeTempDir();
    try {
      const database = openDatabase({ url: `file:${dir.join("n.db")}` });
      await database.client.batch(["CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER)", "CREATE TABLE _litestream_lock (id INTEGER)"]);
      const result = await applyMigrations(database.client, migrations);
      expect(result.applied).toHaveLength(migrations.length);
      const check = await database.client.execute("PRAGMA foreign_key_check");
      expect(check.rows).toHaveLength(0);
      database.close();
    } finally {
      dir.remove();
    }
  });
});
