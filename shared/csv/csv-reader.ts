/**
 * A streaming RFC 4180 reader: pieces of text in, complete records out with the line they start on.
 * CRLF, LF and CR end records; a byte-order mark and empty lines are skipped; malformed quoting is
 * reported with its line, never guessed around.
 */
export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = "CsvSyntaxError";
  }
}

const quote = 34;
const comma = 44;
const lineFeed = 10;
const carriageReturn = 13;

const State = {
  FieldStart: 0,
  Unquoted: 1,
  Quoted: 2,
  /** A quote inside a quoted field: the closing quote, or the first half of "". */
  QuoteInQuoted: 3,
} as const;

export class CsvReader {
  #state: number = State.FieldStart;
  #fields: string[] = [];
  #field = "";
  #line = 1;
  #recordLine = 1;
  /** Line where the current quoted field opened: an unclosed quote is reported there, not where parsing gave up. */
  #quoteLine = 1;
  #afterCarriageReturn = false;
  #started = false;

  constructor(
    private readonly onRecord: (record: CsvRecord) => void,
    private readonly maxFieldLength = Number.POSITIVE_INFINITY,
  ) {}

  push(text: string): void {
    let index = 0;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) index = 1;
    }
    const length = text.length;
    while (index < length) {
      const code = text.charCodeAt(index);
      if (this.#afterCarriageReturn) {
        this.#afterCarriageReturn = false;
        if (code === lineFeed) {
          // The LF of a CRLF: the line break was counted (and the record ended) at the CR.
          if (this.#state === State.Quoted) this.#append("\n");
          index++;
          continue;
        }
      }
      switch (this.#state) {
        case State.FieldStart:
          if (code === quote) {
            this.#state = State.Quoted;
            this.#quoteLine = this.#line;
            index++;
          } else if (code === comma) {
            this.#endField();
            index++;
          } else if (code === lineFeed || code === carriageReturn) {
            // A line break right after a comma ends the record with an empty field; on its own it is an empty line.
            this.#recordBreak(code, this.#fields.length > 0);
            index++;
          } else {
            this.#state = State.Unquoted;
          }
          break;
        case State.Unquoted: {
          index = this.#appendRun(text, index, true);
          if (index === length) break;
          const stop = text.charCodeAt(index);
          if (stop === quote) throw new CsvSyntaxError(this.#line, `line ${this.#line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
          if (stop === comma) this.#endField();
          else this.#recordBreak(stop, true);
          index++;
          break;
        }
        case State.Quoted: {
          index = this.#appendRun(text, index, false);
          if (index === length) break;
          const stop = text.charCodeAt(index);
          if (stop === quote) this.#state = State.QuoteInQuoted;
          else {
            this.#append(stop === lineFeed ? "\n" : "\r");
            this.#lineBreak(stop);
          }
          index++;
          break;
        }
        case State.QuoteInQuoted:
          if (code === quote) {
            this.#append('"');
            this.#state = State.Quoted;
            index++;
          } else if (code === comma) {
            this.#endField();
            index++;
          } else if (code === lineFeed || code === carriageReturn) {
            this.#recordBreak(code, true);
            index++;
          } else if (this.#quoteLine < this.#line) {
            // The quote that "closes" here most likely opens the next field: the earlier one was never closed.
            throw new CsvSyntaxError(this.#quoteLine, `line ${this.#quoteLine}: a quoted field opens here and is not closed on its line (the next quote, on line ${this.#line}, is followed by more text); close or double the quote`);
          } else {
            throw new CsvSyntaxError(this.#line, `line ${this.#line}: unexpected character after a closing quote`);
          }
          break;
      }
    }
  }

  /** Ends the input; a last record without a final line break is still a record. */
  end(): void {
    if (this.#state === State.Quoted) throw new CsvSyntaxError(this.#quoteLine, `a quoted field that starts on line ${this.#quoteLine} is never closed`);
    if (this.#state !== State.FieldStart || this.#fields.length > 0) {
      this.#endField();
      this.#endRecord();
    }
  }

  /** Appends the plain characters from `start` up to the next quote, line break (or comma); returns where it stopped. */
  #appendRun(text: string, start: number, commaStops: boolean): number {
    let end = start;
    while (end < text.length) {
      const next = text.charCodeAt(end);
      if (next === quote || next === lineFeed || next === carriageReturn || (commaStops && next === comma)) break;
      end++;
    }
    if (end > start) this.#append(text.slice(start, end));
    return end;
  }

  #append(text: string): void {
    this.#field += text;
    if (this.#field.length > this.maxFieldLength) {
      if (this.#state === State.Quoted && this.#quoteLine < this.#line) {
        throw new CsvSyntaxError(this.#quoteLine, `line ${this.#quoteLine}: a quoted field opens here and runs on for more than ${this.maxFieldLength} characters; is its closing quote missing?`);
      }
      throw new CsvSyntaxError(this.#recordLine, `line ${this.#recordLine}: a field longer than ${this.maxFieldLength} characters`);
    }
  }

  /** A line break outside quotes: ends the record (unless the line was empty) and starts the next. */
  #recordBreak(code: number, endsRecord: boolean): void {
    if (endsRecord) {
      this.#endField();
      this.#endRecord();
    }
    this.#lineBreak(code);
    this.#recordLine = this.#line;
  }

  #lineBreak(code: number): void {
    this.#line++;
    if (code === carriageReturn) this.#afterCarriageReturn = true;
  }

  #endField(): void {
    this.#fields.push(this.#field);
    this.#field = "";
    this.#state = State.FieldStart;
  }

  #endRecord(): void {
    const fields = this.#fields;
    this.#fields = [];
    this.#state = State.FieldStart;
    this.onRecord({ fields, line: this.#recordLine });
  }
}
