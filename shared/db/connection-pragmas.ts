/**
 * Pragmas every connection to a node's database runs, in this order:
 * busy_timeout first so the statements after it already wait instead of failing on a lock held
 * by Litestream or another process; journal_mode=WAL (persistent in the file) before
 * synchronous=NORMAL, which is only durable enough in WAL mode; foreign_keys per connection;
 * wal_autocheckpoint=0 only under Litestream, which must be the sole checkpointer.
 */
export const busyTimeoutMs = 5000;

export function connectionPragmas(options: { underLitestream: boolean; busyTimeoutMs?: number }): string[] {
  const pragmas = [
    `PRAGMA busy_timeout=${options.busyTimeoutMs ?? busyTimeoutMs}`,
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
  ];
  if (options.underLitestream) pragmas.push("PRAGMA wal_autocheckpoint=0");
  return pragmas;
}

/** What `connectionPragmas` should leave behind, as the pragmas report it back. */
export function expectedPragmaValues(options: { underLitestream: boolean; busyTimeoutMs?: number }): Record<string, number | string> {
  return {
    busy_timeout: options.busyTimeoutMs ?? busyTimeoutMs,
    journal_mode: "wal",
    synchronous: 1,
    foreign_keys: 1,
    wal_autocheckpoint: options.underLitestream ? 0 : 1000,
  };
}
