import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { migrationsForSchema, openTempDatabase, type TempDatabase } from "../testing/temp-database.ts";
import { builtOnce, rowsOf } from "./built-statement.ts";

const recorders = sqliteTable("recorders", {
  id: text("id").primaryKey(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  lastSeenAt: integer("last_seen_at"),
});
const schema = { recorders };
const selection = { id: recorders.id, enabled: recorders.enabled, lastSeenAt: recorders.lastSeenAt };
const findStatement = builtOnce<{ id: string }>((db) => db.select(selection).from(recorders).where(eq(recorders.id, sql.placeholder("id"))).toSQL());
const touchStatement = builtOnce<{ id: string; at: number }>((db) =>
  db.update(recorders).set({ lastSeenAt: sql`${sql.placeholder("at")}` }).where(eq(recorders.id, sql.placeholder("id"))).toSQL(),
);

let database: TempDatabase<typeof schema>;
beforeEach(async () => {
  database = await openTempDatabase(await migrationsForSchema(schema), schema);
  await database.db.insert(recorders).values([
    { id: "on", enabled: true },
    { id: "off", enabled: false },
  ]);
});
afterEach(() => database.dispose());

describe("statements built once", () => {
  test("rows come back keyed like the selection, each value read the way its column reads it", async () => {
    const find = async (id: string) => rowsOf<typeof recorders.$inferSelect>(await findStatement.run(database.db, { id }), selection);
    expect(await find("on")).toEqual([{ id: "on", enabled: true, lastSeenAt: null }]);
    expect(await find("off")).toEqual([{ id: "off", enabled: false, lastSeenAt: null }]);
    expect(await find("missing")).toEqual([]);
  });

  test("inside a transaction they run on the transaction, and a rollback takes their writes back", async () => {
    await database.db.transaction(async (tx) => {
      await touchStatement.run(tx, { id: "on", at: 1234 });
      expect(rowsOf(await findStatement.run(tx, { id: "on" }), selection)).toEqual([{ id: "on", enabled: true, lastSeenAt: 1234 }]);
    });
    await expect(
      database.db.transaction(async (tx) => {
        await touchStatement.run(tx, { id: "off", at: 99 });
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    const rows = await database.db.select().from(recorders).orderBy(recorders.id);
    expect(rows).toEqual([
      { id: "off", enabled: false, lastSeenAt: null },
      { id: "on", enabled: true, lastSeenAt: 1234 },
    ]);
  });
});
