import type { ResultSet } from "@libsql/client";
import { sql } from "drizzle-orm";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema.ts";

/** The core's database, or a transaction open on it: repositories accept either. */
export type CoreDatabase = BaseSQLiteDatabase<"async", ResultSet, typeof schema>;

/** Whether the database answers (for /health and the DID Optimizer's health check). */
export async function checkDatabase(db: CoreDatabase): Promise<void> {
  await db.run(sql`SELECT 1`);
}
