import type { Client, ResultSet } from "@libsql/client";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema.ts";

/** The edge's database through drizzle. */
export type EdgeDatabase = LibSQLDatabase<typeof schema> & { $client: Client };

/** The database or a transaction on it: what a repository factory takes, so a use case can pass its transaction. */
export type EdgeExecutor = BaseSQLiteDatabase<"async", ResultSet, typeof schema>;
