import mysql from "mysql2/promise";
import { describeDatabase, type VicidialDatabaseSettings } from "../vicidial/vicidial-settings.ts";
import { type VicidialLogRow, vicidialLogColumns } from "./call-result-payload.ts";

/**
 * Short reads of vicidial_log, each on the call_date index (MyISAM locks the whole table while a
 * SELECT runs, so every query is a bounded page) and each timed: the duration of a query is the
 * longest it can have held the table. FORCE INDEX keeps the optimizer from choosing a scan of the
 * primary key, which would hold the lock for the whole table.
 */
export interface VicidialLogReader {
  /** The database's own clock, in the wall time vicidial_log's call_date uses. */
  databaseNow(): Promise<string>;
  /** Rows with call_date ≥ `from`, in call_date order. */
  readFrom(from: string, limit: number): Promise<TimedRows>;
  /** Rows of one call_date second after `afterUniqueid`, in uniqueid order. */
  readSecond(callDate: string, afterUniqueid: string, limit: number): Promise<TimedRows>;
  /** Rows without a usable call_date (NULL or a zero date), which no window reaches. */
  readUndated(afterUniqueid: string, limit: number): Promise<TimedRows>;
  close(): Promise<void>;
}

export interface TimedRows {
  rows: VicidialLogRow[];
  durationMs: number;
}

export class VicidialConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "VicidialConnectionError";
  }
}

export async function connectVicidialLog(settings: VicidialDatabaseSettings, options: { connectTimeoutMs?: number } = {}): Promise<VicidialLogReader> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      host: settings.host,
      port: settings.port,
      user: settings.user,
      password: settings.password,
      database: settings.database,
      dateStrings: true,
      supportBigNumbers: true,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const hint =
      code === "ER_ACCESS_DENIED_ERROR"
        ? " (check VARDB_user/VARDB_pass in astguiclient.conf or VICIDIAL_DB_USER/VICIDIAL_DB_PASS)"
        : code === "ER_BAD_DB_ERROR"
          ? " (check VARDB_database or VICIDIAL_DB_NAME)"
          : code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT"
            ? " (check VARDB_server/VARDB_port or VICIDIAL_DB_HOST/VICIDIAL_DB_PORT)"
            : "";
    throw new VicidialConnectionError(`cannot connect to the VICIdial database ${describeDatabase(settings)}: ${(error as Error).message}${hint}`, code);
  }
  connection.on("error", () => {
    // A dropped connection surfaces on the next query; the sync reconnects then.
  });
  const timed = async (sql: string, args: unknown[]): Promise<TimedRows> => {
    const started = performance.now();
    const [rows] = await connection.query(sql, args);
    return { rows: rows as VicidialLogRow[], durationMs: performance.now() - started };
  };
  return {
    async databaseNow() {
      const [rows] = await connection.query("SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s') AS now");
      return String((rows as Array<{ now: string }>)[0]!.now);
    },
    readFrom: (from, limit) => timed(`SELECT ${vicidialLogColumns} FROM vicidial_log FORCE INDEX (call_date) WHERE call_date >= ? ORDER BY call_date LIMIT ?`, [from, limit]),
    readSecond: (callDate, afterUniqueid, limit) =>
      timed(`SELECT ${vicidialLogColumns} FROM vicidial_log FORCE INDEX (call_date) WHERE call_date = ? AND uniqueid > ? ORDER BY uniqueid LIMIT ?`, [callDate, afterUniqueid, limit]),
    readUndated: (afterUniqueid, limit) =>
      timed(`SELECT ${vicidialLogColumns} FROM vicidial_log FORCE INDEX (call_date) WHERE (call_date IS NULL OR call_date < '1000-01-01') AND uniqueid > ? ORDER BY uniqueid LIMIT ?`, [afterUniqueid, limit]),
    async close() {
      await connection.end().catch(() => connection.destroy());
    },
  };
}
