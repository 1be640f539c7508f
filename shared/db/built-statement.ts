import type { InArgs, InStatement, ResultSet } from "@libsql/client";
import { Column, is, Param, Placeholder } from "drizzle-orm";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";

/** A node's database through drizzle, or a transaction open on it. */
type LibsqlDatabase = BaseSQLiteDatabase<"async", ResultSet, any>;

/**
 * A statement the query builder builds once, with placeholders, for a hot path that would
 * otherwise spend longer building its SQL than SQLite spends running it. It runs on the libSQL
 * connection under the handle it is given (the database, or the transaction a handle is open on).
 */
export interface BuiltStatement<Input> {
  run(db: LibsqlDatabase, input: Input): Promise<ResultSet>;
}

/** `build` runs on first use; `read` says, once per placeholder name, how to read its value from an input. */
export function builtOnce<Input>(
  build: (db: LibsqlDatabase) => { sql: string; params: unknown[] },
  read: (placeholder: string) => (input: Input) => unknown = (name) => (input) => (input as Record<string, unknown>)[name],
): BuiltStatement<Input> {
  let built: { sql: string; readers: Array<(input: Input) => unknown> } | null = null;
  return {
    run(db, input) {
      if (!built) {
        const query = build(db);
        const readers = query.params.map((param) => {
          const value = is(param, Param) ? param.value : param;
          return is(value, Placeholder) ? read(value.name as string) : () => value;
        });
        built = { sql: query.sql, readers };
      }
      const args = built.readers.map((reader) => reader(input)) as InArgs;
      return connectionOf(db).execute({ sql: built.sql, args });
    },
  };
}

/**
 * A built select's rows as objects keyed like its selection (columns come back in the selection's
 * order), each value read the way its column reads it (a boolean column's 0/1 as false/true).
 */
export function rowsOf<Row>(result: ResultSet, selection: Record<string, unknown>): Row[] {
  const fields = Object.entries(selection).map(([field, column]) => [field, is(column, Column) ? column : null] as const);
  return result.rows.map((values) => {
    const row: Record<string, unknown> = {};
    fields.forEach(([field, column], index) => {
      const value = values[index];
      row[field] = column && value !== null ? column.mapFromDriverValue(value) : value;
    });
    return row as Row;
  });
}

/** The libSQL connection under a drizzle handle: the open transaction, or the client. */
function connectionOf(db: LibsqlDatabase): { execute(statement: InStatement): Promise<ResultSet> } {
  // drizzle-orm 0.45's libSQL session keeps an open transaction in `tx` and the client in `client`.
  const session = (db as unknown as { session: { client: Connection; tx?: Connection } }).session;
  return session.tx ?? session.client;
}

type Connection = { execute(statement: InStatement): Promise<ResultSet> };
