/**
 * Reads the values of `INSERT INTO t (columns) VALUES (…), …;` statements pushed in pieces. Nothing is
 * executed: only literals (standard SQL strings with '' escapes, numbers, NULL) are accepted, so a
 * package cannot smuggle in another statement. `--`, `#` and block comments are skipped.
 */
export interface SqlInsertRow {
  table: string;
  columns: string[];
  /** NULL reads as an empty string, like an empty CSV cell. */
  values: string[];
  /** 1-based statement number. */
  statement: number;
  /** Line where the value tuple starts. */
  line: number;
}

export class SqlSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "SqlSyntaxError";
  }
}

type Token =
  | { kind: "word"; text: string; line: number }
  | { kind: "identifier"; text: string; line: number }
  | { kind: "string"; text: string; line: number }
  | { kind: "number"; text: string; line: number }
  | { kind: "symbol"; text: "(" | ")" | "," | ";" | "."; line: number };

type Phase =
  | "statement"
  | "into"
  | "table"
  | "table-dot"
  | "columns-open"
  | "column"
  | "column-separator"
  | "values-keyword"
  | "tuple-open"
  | "value"
  | "value-separator"
  | "after-tuple";

export class SqlInsertReader {
  #buffer = "";
  #line = 1;
  #phase: Phase = "statement";
  #statement = 0;
  #table = "";
  #columns: string[] = [];
  #values: string[] = [];
  #tupleLine = 1;

  constructor(
    private readonly onRow: (row: SqlInsertRow) => void,
    private readonly maxTokenLength = 1024 * 1024,
  ) {}

  push(text: string): void {
    this.#buffer += text;
    this.#drain(false);
  }

  end(): void {
    this.#drain(true);
    if (this.#phase === "after-tuple") this.#phase = "statement";
    if (this.#phase !== "statement") throw new SqlSyntaxError(this.#line, `the last statement (number ${this.#statement}) is incomplete`);
  }

  #drain(final: boolean): void {
    let position = 0;
    const text = this.#buffer;
    while (true) {
      const scanned = this.#nextToken(text, position, final);
      if (scanned === null) break;
      position = scanned.next;
      if (scanned.token) this.#accept(scanned.token);
    }
    this.#buffer = text.slice(position);
    if (this.#buffer.length > this.maxTokenLength) throw new SqlSyntaxError(this.#line, `a value longer than ${this.maxTokenLength} characters`);
  }

  /** The token at `position`, or null when the buffer ends inside one (more text is needed). */
  #nextToken(text: string, position: number, final: boolean): { token: Token | null; next: number } | null {
    let index = position;
    let incomplete = false;
    // Whitespace and comments are consumed on their own, so a token never starts mid-way through them.
    while (index < text.length) {
      const code = text.charCodeAt(index);
      if (code === 10) {
        this.#line++;
        index++;
      } else if (code === 32 || code === 9 || code === 13) index++;
      else if ((code === 45 && text.charCodeAt(index + 1) === 45) || code === 35) {
        const end = text.indexOf("\n", index);
        if (end < 0) {
          if (final) index = text.length;
          else incomplete = true;
          break;
        }
        index = end;
      } else if (code === 47 && text.charCodeAt(index + 1) === 42) {
        const end = text.indexOf("*/", index + 2);
        if (end < 0) {
          if (final) throw new SqlSyntaxError(this.#line, "a /* comment is never closed");
          incomplete = true;
          break;
        }
        this.#line += countLines(text, index, end);
        index = end + 2;
      } else if ((code === 45 || code === 47) && index + 1 >= text.length && !final) {
        incomplete = true;
        break;
      } else break;
    }
    if (index > position) return { token: null, next: index };
    if (incomplete || index >= text.length) return null;
    const line = this.#line;
    const code = text.charCodeAt(index);

    if (code === 39 || code === 96 || code === 34) {
      // 'string', `identifier`, "identifier": doubled delimiters escape themselves.
      let value = "";
      let cursor = index + 1;
      while (true) {
        const close = text.indexOf(String.fromCharCode(code), cursor);
        if (close < 0) {
          if (final) throw new SqlSyntaxError(line, `a ${code === 39 ? "string" : "quoted name"} that starts here is never closed`);
          return null;
        }
        if (close + 1 >= text.length && !final) return null;
        value += text.slice(cursor, close);
        if (text.charCodeAt(close + 1) === code) {
          value += String.fromCharCode(code);
          cursor = close + 2;
          continue;
        }
        this.#line += countLines(text, index, close);
        return { token: { kind: code === 39 ? "string" : "identifier", text: value, line }, next: close + 1 };
      }
    }
    if (code === 40 || code === 41 || code === 44 || code === 59 || code === 46) {
      return { token: { kind: "symbol", text: text[index] as "(" | ")" | "," | ";" | ".", line }, next: index + 1 };
    }
    for (const [pattern, kind] of [
      [wordPattern, "word"],
      [numberPattern, "number"],
    ] as const) {
      pattern.lastIndex = index;
      const match = pattern.exec(text);
      if (match) {
        const end = index + match[0].length;
        if (end >= text.length && !final) return null;
        return { token: { kind, text: match[0], line }, next: end };
      }
    }
    throw new SqlSyntaxError(line, `unexpected ${JSON.stringify(text.slice(index, index + 20))}`);
  }

  #accept(token: Token): void {
    const word = token.kind === "word" ? token.text.toUpperCase() : null;
    const symbol = token.kind === "symbol" ? token.text : null;
    switch (this.#phase) {
      case "statement":
        if (symbol === ";") return;
        if (word !== "INSERT") {
          throw new SqlSyntaxError(token.line, `only INSERT statements are read (nothing is executed); found ${JSON.stringify(token.text)}`);
        }
        this.#statement++;
        this.#phase = "into";
        return;
      case "into":
        if (word === "IGNORE") return;
        if (word !== "INTO") throw new SqlSyntaxError(token.line, "expected INTO after INSERT");
        this.#phase = "table";
        return;
      case "table":
        if (token.kind !== "word" && token.kind !== "identifier") throw new SqlSyntaxError(token.line, "expected a table name after INSERT INTO");
        this.#table = token.text;
        this.#phase = "table-dot";
        return;
      case "table-dot":
        if (symbol === ".") {
          this.#phase = "table";
          return;
        }
        if (symbol === "(") {
          this.#columns = [];
          this.#phase = "column";
          return;
        }
        if (word === "VALUES" || word === "VALUE") {
          throw new SqlSyntaxError(token.line, `INSERT INTO ${this.#table} has no column list; name the columns: INSERT INTO ${this.#table} (lead_id, phone_number, …) VALUES …`);
        }
        throw new SqlSyntaxError(token.line, `expected the column list after INSERT INTO ${this.#table}`);
      case "column":
        if (token.kind !== "word" && token.kind !== "identifier") throw new SqlSyntaxError(token.line, "expected a column name");
        this.#columns.push(token.text);
        this.#phase = "column-separator";
        return;
      case "column-separator":
        if (symbol === ",") this.#phase = "column";
        else if (symbol === ")") this.#phase = "values-keyword";
        else throw new SqlSyntaxError(token.line, "expected , or ) in the column list");
        return;
      case "values-keyword":
        if (word !== "VALUES" && word !== "VALUE") throw new SqlSyntaxError(token.line, "expected VALUES after the column list (INSERT … SELECT and SET forms are not read)");
        this.#phase = "tuple-open";
        return;
      case "tuple-open":
        if (symbol !== "(") throw new SqlSyntaxError(token.line, "expected ( to open a row of values");
        this.#values = [];
        this.#tupleLine = token.line;
        this.#phase = "value";
        return;
      case "value":
        if (token.kind === "string" || token.kind === "number") this.#values.push(token.text);
        else if (word === "NULL") this.#values.push("");
        else if (token.kind === "identifier") throw new SqlSyntaxError(token.line, `"${token.text}" is a quoted name, not a value; quote values with single quotes`);
        else throw new SqlSyntaxError(token.line, `only literal values are read (strings, numbers, NULL); found ${JSON.stringify(token.text)}`);
        this.#phase = "value-separator";
        return;
      case "value-separator":
        if (symbol === ",") {
          this.#phase = "value";
          return;
        }
        if (symbol !== ")") throw new SqlSyntaxError(token.line, "expected , or ) between values");
        this.onRow({ table: this.#table, columns: this.#columns, values: this.#values, statement: this.#statement, line: this.#tupleLine });
        this.#phase = "after-tuple";
        return;
      case "after-tuple":
        if (symbol === ",") this.#phase = "tuple-open";
        else if (symbol === ";") this.#phase = "statement";
        else throw new SqlSyntaxError(token.line, `expected , or ; after a row of values; found ${JSON.stringify(token.text)} (ON DUPLICATE KEY and other clauses are not read)`);
        return;
    }
  }
}

const wordPattern = /[A-Za-z_][A-Za-z0-9_$]*/y;
const numberPattern = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/y;

function countLines(text: string, from: number, to: number): number {
  let count = 0;
  for (let index = text.indexOf("\n", from); index >= 0 && index < to; index = text.indexOf("\n", index + 1)) count++;
  return count;
}
