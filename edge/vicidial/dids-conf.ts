/**
 * `/etc/asterisk/dids.conf`, the DID Optimizer's loose INI file: optional `[sections]` (keys are
 * read from all of them; a later line wins), `key = value` or `key=value`, whole-line `;` or `#`
 * comments, inline comments after whitespace (`api_timeout=5   ; seconds`), optional quotes,
 * CRLF line endings and a UTF-8 byte-order mark. Keys are case-insensitive.
 */
export function parseDidsConf(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const rawLine of text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#") || /^\[.*\]$/.test(line)) continue;
    const equals = line.indexOf("=");
    if (equals <= 0) continue;
    const key = line.slice(0, equals).trim().toLowerCase();
    let value = line.slice(equals + 1).replace(/\s+[;#].*$/, "").trim();
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    values.set(key, value);
  }
  return values;
}
