import { afterEach, describe, expect, test } from "bun:test";
import type { Client, Transaction } from "@libsql/client";
import { sql } from "drizzle-orm";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { expectedPragmaValues } from "./connection-pragmas.ts";
import { databaseFilePath, type NodeDatabase, openDatabase } from "./open-database.ts";

let dir: TempDir;
let database: NodeDatabase | undefined;
afterEach(() => {
  database?.close();
  database = undefined;
  dir?.remove();
});

type Executor = Pick<Client, "execute"> | Pick<Transaction, "execute">;

async function readPragmas(executor: Executor): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const name of ["busy_timeout", "journal_mode", "synchronous", "foreign_keys", "wal_autocheckpoint"]) {
    values[name] = (await executor.execute(`PRAGMA ${name}`)).rows[0]?.[0];
  }
  return values;
}

function open(options: { underLitestream?: boolean } = {}): NodeDatabase {
  dir = makeTempDir();
  database = openDatabase({ url: `file:${dir.join("node.db")}`, ...options });
  return database;
}

describe("openDatabase", () => {
  test("every connection it hands out carries the pragmas, before and after transactions and reconnects", async () => {
    const { client, db } = open();
    const expected = expectedPragmaValues({ underLitestream: false });
    expect(await readPragmas(client)).toEqual(expected);

    const transaction = await client.transaction("write");
    expect(await readPragmas(transaction)).toEqual(expected);
    await transaction.rollback();
    expect(await readPragmas(client)).toEqual(expected);

    await db.transaction(async (tx) => {
      const rows = await tx.all<{ foreign_keys: number }>(sql`PRAGMA foreign_keys`);
      expect(rows[0]!.foreign_keys).toBe(1);
    });

    await client.reconnect();
    expect(await readPragmas(client)).toEqual(expected);
    await client.batch(["CREATE TABLE a (id INTEGER PRIMARY KEY)"], "write");
    expect(await readPragmas(client)).toEqual(expected);
  });

  test("under Litestream the node never checkpoints by itself", async () => {
    const { client } = open({ underLitestream: true });
    expect(await readPragmas(client)).toEqual(expectedPragmaValues({ underLitestream: true }));
    expect((await client.execute("PRAGMA wal_autocheckpoint")).rows[0]?.[0]).toBe(0);
  });

  test("foreign keys are enforced", async () => {
    const { client } = open();
    await client.batch(["CREATE TABLE parent (id INTEGER PRIMARY KEY)", "CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent(id))"], "write");
    await expect(client.execute("INSERT INTO child (parent_id) VALUES (42)")).rejects.toThrow(/FOREIGN KEY/);
  });

  test("statements issued while a transaction is open wait for it instead of failing", async () => {
    const { client, db } = open();
    await client.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)");
    await client.execute("INSERT INTO counter VALUES (1, 0)");
    const order: string[] = [];
    const transaction = db.transaction(async (tx) => {
      await tx.run(sql`UPDATE counter SET value = value + 1 WHERE id = 1`);
      order.push("tx-updated");
      await Bun.sleep(30);
      await tx.run(sql`UPDATE counter SET value = value + 1 WHERE id = 1`);
      order.push("tx-done");
    });
    await Bun.sleep(5);
    const outside = client.execute("SELECT value FROM counter WHERE id = 1").then((result) => {
      order.push("outside-read");
      return result.rows[0]?.[0];
    });
    await transaction;
    expect(await outside).toBe(2);
    expect(order).toEqual(["tx-updated", "tx-done", "outside-read"]);
  });

  test("using the outer database inside a transaction fails loudly instead of deadlocking", async () => {
    const { client, db } = open();
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    const failure = await db
      .transaction(async () => {
        await db.run(sql`INSERT INTO t VALUES (1)`);
      })
      .catch((error: Error) => error);
    expect(String((failure as Error).cause)).toContain("use the transaction object instead");
    expect((await client.execute("SELECT count(*) FROM t")).rows[0]?.[0]).toBe(0);
  });

  test("a failed transaction rolls back and frees the connection", async () => {
    const { client, db } = open();
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    await expect(
      db.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO t VALUES (1)`);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await client.execute("SELECT count(*) FROM t")).rows[0]?.[0]).toBe(0);
    await client.execute("INSERT INTO t VALUES (2)");
  });

  test("file URLs resolve to absolute paths; remote URLs have none", () => {
    expect(databaseFilePath("file:/var/lib/x.db")).toBe("/var/lib/x.db");
    expect(databaseFilePath("file:///var/lib/x.db")).toBe("/var/lib/x.db");
    expect(databaseFilePath("file://localhost/var/lib/x.db")).toBe("/var/lib/x.db");
    expect(databaseFilePath("file:data/x.db")).toBe(`${process.cwd()}/data/x.db`);
    expect(databaseFilePath("libsql://db.example.com")).toBeNull();
  });

  test("a database that cannot be opened fails at open, not on first use", () => {
    dir = makeTempDir();
    expect(() => openDatabase({ url: `file:${dir.join("missing-dir/sub")}/../../../../../../../proc/1/x.db` })).toThrow();
  });
});
