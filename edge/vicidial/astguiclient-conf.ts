/**
 * `/etc/astguiclient.conf` read exactly as VICIdial's own scripts read it: on every line they
 * delete spaces, tabs, CR, LF, `>` and everything from the first `#` or `;`, match the key as a
 * prefix (`/^VARDB_server/`), take what follows the last `=` (`s/.*=//`), and let a later line win.
 * So `VARDB_pass => a b` gives `ab`, `VARDB_pass=x;y` gives `x`, and `key=value` lines work too.
 */
export const astguiclientDatabaseKeys = {
  server: "VARDB_server",
  database: "VARDB_database",
  user: "VARDB_user",
  pass: "VARDB_pass",
  port: "VARDB_port",
} as const;

export type AstguiclientDatabaseValues = Partial<Record<keyof typeof astguiclientDatabaseKeys, string>>;

export function parseAstguiclientConf(text: string): AstguiclientDatabaseValues {
  const values: AstguiclientDatabaseValues = {};
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/ |>|\n|\r|\t|#.*|;.*/g, "");
    for (const [field, key] of Object.entries(astguiclientDatabaseKeys) as Array<[keyof typeof astguiclientDatabaseKeys, string]>) {
      if (line.startsWith(key)) values[field] = line.replace(/.*=/, "");
    }
  }
  return values;
}
