/**
 * Parses a .env file: KEY=value lines, optional `export `, # comments, single or double quotes
 * (double quotes understand \n, \t, \\ and \"), CRLF line endings.
 */
export function parseDotenv(source: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = source.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`.env line ${index + 1}: expected KEY=value`);
    const key = match[1]!;
    const raw = match[2]!;
    values[key] = parseValue(raw, index + 1);
  }
  return values;
}

function parseValue(raw: string, lineNumber: number): string {
  const quote = raw[0];
  if (quote === '"' || quote === "'") {
    const end = findClosingQuote(raw, quote);
    if (end === -1) throw new Error(`.env line ${lineNumber}: unterminated ${quote} quote`);
    const body = raw.slice(1, end);
    return quote === '"' ? body.replace(/\\([nrt"\\])/g, (_, char: string) => ({ n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" })[char]!) : body;
  }
  // An unquoted value ends at a comment that follows whitespace.
  return raw.replace(/\s+#.*$/, "").trim();
}

function findClosingQuote(raw: string, quote: string): number {
  for (let index = 1; index < raw.length; index++) {
    if (raw[index] === "\\" && quote === '"') {
      index++;
      continue;
    }
    if (raw[index] === quote) return index;
  }
  return -1;
}
