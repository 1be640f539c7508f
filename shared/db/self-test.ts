import { randomUUID } from "node:crypto";
import type { Client } from "@libsql/client";
import { expectedPragmaValues } from "./connection-pragmas.ts";

export interface DatabaseSelfTest {
  ok: boolean;
  roundTrip: "ok" | string;
  pragmas: Record<string, { expected: number | string; actual: number | string | null }>;
}

/**
 * Proves the database works on this machine: a row written in a transaction reads back
 * identically, and the connection carries the node's pragmas. Used by `<node> self-test`
 * after installing a binary on a new host.
 */
export async function runDatabaseSelfTest(client: Client, options: { underLitestream: boolean; isFile: boolean }): Promise<DatabaseSelfTest> {
  let roundTrip = "ok";
  try {
    const token = randomUUID();
    await client.batch(
      [
        "CREATE TABLE IF NOT EXISTS _salescontrol_selftest (token TEXT PRIMARY KEY NOT NULL, written_at INTEGER NOT NULL)",
        { sql: "INSERT INTO _salescontrol_selftest (token, written_at) VALUES (?, ?)", args: [token, Date.now()] },
      ],
      "write",
    );
    const read = await client.execute({ sql: "SELECT token FROM _salescontrol_selftest WHERE token = ?", args: [token] });
    if (read.rows[0]?.token !== token) roundTrip = "the written row did not read back";
    await client.execute({ sql: "DELETE FROM _salescontrol_selftest WHERE token = ?", args: [token] });
  } catch (error) {
    roundTrip = (error as Error).message;
  }

  const pragmas: DatabaseSelfTest["pragmas"] = {};
  if (options.isFile) {
    for (const [name, expected] of Object.entries(expectedPragmaValues({ underLitestream: options.underLitestream }))) {
      const result = await client.execute(`PRAGMA ${name}`);
      const value = result.rows[0]?.[0];
      pragmas[name] = { expected, actual: value === undefined || value === null ? null : (value as number | string) };
    }
  }
  const pragmasOk = Object.values(pragmas).every((entry) => String(entry.actual).toLowerCase() === String(entry.expected));
  return { ok: roundTrip === "ok" && pragmasOk, roundTrip, pragmas };
}
