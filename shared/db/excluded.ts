import { type AnyColumn, type SQL, sql } from "drizzle-orm";

/** In an upsert's DO UPDATE SET: the value the conflicting row would have written to this column. */
export function excluded(column: AnyColumn): SQL {
  return sql.raw(`excluded.${column.name}`);
}
