import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type MariaDbServer, startMariaDb } from "./mariadb-server.ts";

describe("private MariaDB for tests", () => {
  let server: MariaDbServer;
  beforeAll(async () => {
    server = await startMariaDb();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("runs a real server on its own port with a writable database", async () => {
    await server.query("CREATE DATABASE asterisk; CREATE TABLE asterisk.t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM");
    await server.query("INSERT INTO asterisk.t VALUES (1, 'one'), (2, 'two')");
    const rows = await server.query<Array<{ id: number; v: string }>>("SELECT id, v FROM asterisk.t ORDER BY id");
    expect(rows).toEqual([
      { id: 1, v: "one" },
      { id: 2, v: "two" },
    ]);
    const version = await server.query<Array<{ v: string }>>("SELECT VERSION() AS v");
    expect(version[0]!.v).toContain("MariaDB");
  });

  test("refuses wrong credentials with MariaDB's own error", async () => {
    await server.query("CREATE USER 'cron'@'127.0.0.1' IDENTIFIED BY '1234'");
    const good = await server.connect({ user: "cron", password: "1234" });
    await good.end();
    await expect(server.connect({ user: "cron", password: "wrong" })).rejects.toThrow(/Access denied/);
  });

  test("two servers run side by side", async () => {
    const second = await startMariaDb();
    try {
      expect(second.port).not.toBe(server.port);
      await second.query("CREATE DATABASE other");
      const databases = await server.query<Array<{ Database: string }>>("SHOW DATABASES");
      expect(databases.map((row) => row.Database)).not.toContain("other");
    } finally {
      await second.stop();
    }
  });
});
