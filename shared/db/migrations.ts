import { createHash } from "node:crypto";
import type { Client } from "@libsql/client";

/** One migration as drizzle-kit generated it, embedded in the binary by the node's migration index. */
export interface Migration {
  tag: string;
  sql: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

const statementBreakpoint = "--> statement-breakpoint";
const ledgerTable = "_salescontrol_migrations";

/**
 * Applies pending migrations in order, each in its own write transaction together with its
 * ledger row. Tables other tools own (Litestream's `_litestream_seq`/`_litestream_lock`) are never
 * touched. Refuses a database that a newer build migrated, or whose applied migration changed.
 */
export async function applyMigrations(client: Client, migrations: readonly Migration[]): Promise<MigrationResult> {
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${ledgerTable} (tag TEXT PRIMARY KEY NOT NULL, hash TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
  );
  const appliedRows = await client.execute(`SELECT tag, hash FROM ${ledgerTable}`);
  const applied = new Map(appliedRows.rows.map((row) => [String(row.tag), String(row.hash)]));
  const known = new Set(migrations.map((migration) => migration.tag));
  for (const tag of applied.keys()) {
    if (!known.has(tag)) {
      throw new MigrationError(`the database has migration ${tag}, which this build does not know: it was written by a newer version`);
    }
  }

  const result: MigrationResult = { applied: [], alreadyApplied: 0 };
  for (const migration of migrations) {
    const hash = hashMigration(migration.sql);
    const existing = applied.get(migration.tag);
    if (existing !== undefined) {
      if (existing !== hash) throw new MigrationError(`migration ${migration.tag} differs from the one applied to this database`);
      result.alreadyApplied++;
      continue;
    }
    const statements = splitStatements(migration.sql);
    await client.batch(
      [
        ...statements,
        { sql: `INSERT INTO ${ledgerTable} (tag, hash, applied_at) VALUES (?, ?, ?)`, args: [migration.tag, hash, Date.now()] },
      ],
      "write",
    );
    result.applied.push(migration.tag);
  }
  return result;
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(statementBreakpoint)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

function hashMigration(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}
