import type { ResultSet } from "@libsql/client";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema.ts";

/** The core's database, or a transaction open on it: repositories accept either. */
export type CoreDatabase = BaseSQLiteDatabase<"async", ResultSet, typeof schema>;
