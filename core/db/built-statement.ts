import type { InArgs, InStatement, ResultSet } from "@libsql/client";
import { is, Param, Placeholder } from "drizzle-orm";
import type { CoreDatabase } from "./core-database.ts";

/**
 * A statement the query builder builds once, with placeholders, for a hot path that would
 * otherwise spend longer building its SQL than SQLite spends running it. It runs on the libSQL
 * connection under the handle it is given (the database, or the transaction a handle is open on).
 */
export interface BuiltStatement<Input> {
  run(db: CoreDatabase, input: Input): Promise<ResultSet>;
}

/** `build` runs on first use; `read` says, once per placeholder name, how to read its value from an input. */
export function builtOnce<Input>(
  build: (db: CoreDatabase) => { sql: string; params: unknown[] },
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

/** A built select's rows as objects keyed like its selection (columns come back in the selection's order). */
export function rowsOf<Row>(result: ResultSet, selection: Record<string, unknown>): Row[] {
  const fields = Object.keys(selection);
  return result.rows.map((values) => Object.fromEntries(fields.map((field, index) => [field, values[index]])) as Row);
}

/** The libSQL connection under a drizzle handle: the open transaction, or the client. */
function connectionOf(db: CoreDatabase): { execute(statement: InStatement): Promise<ResultSet> } {
  // drizzle-orm 0.45's libSQL session keeps an open transaction in `tx` and the client in `client`.
  const session = (db as unknown as { session: { client: Connection; tx?: Connection } }).session;
  return session.tx ?? session.client;
}

type Connection = { execute(statement: InStatement): Promise<ResultSet> };
