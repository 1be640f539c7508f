import { generateSQLiteDrizzleJson, generateSQLiteMigration } from "drizzle-kit/api";
import { applyMigrations, type Migration } from "../db/migrations.ts";
import { type NodeDatabase, type OpenDatabaseOptions, openDatabase } from "../db/open-database.ts";
import { makeTempDir, type TempDir } from "./temp-dir.ts";

export interface TempDatabase<TSchema extends Record<string, unknown>> extends NodeDatabase<TSchema> {
  dir: TempDir;
  url: string;
  /** Closes the database and removes its directory. */
  dispose(): void;
}

/** A new SQLite file in its own temp dir, opened the way nodes open theirs, with migrations applied. */
export async function openTempDatabase<TSchema extends Record<string, unknown>>(
  migrations: readonly Migration[],
  schema?: TSchema,
  options: Partial<OpenDatabaseOptions> = {},
): Promise<TempDatabase<TSchema>> {
  const dir = makeTempDir("salescontrol-db-");
  const url = `file:${dir.join("test.db")}`;
  const database = openDatabase({ url, ...options }, schema);
  await applyMigrations(database.client, migrations);
  return {
    ...database,
    dir,
    url,
    dispose: () => {
      database.close();
      dir.remove();
    },
  };
}

/**
 * Migrations that create exactly the tables of `schema`, for testing shared code (jobs, …)
 * without borrowing a node's migration history.
 */
export async function migrationsForSchema(schema: Record<string, unknown>): Promise<Migration[]> {
  const statements = await generateSQLiteMigration(await generateSQLiteDrizzleJson({}), await generateSQLiteDrizzleJson(schema));
  return [{ tag: "0000_test_schema", sql: statements.join("\n--> statement-breakpoint\n") }];
}
