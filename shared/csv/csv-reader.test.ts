import { describe, expect, test } from "bun:test";
import { CsvReader, type CsvRecord, CsvSyntaxError } from "./csv-reader.ts";

function read(text: string, pieces: number[] = []): CsvRecord[] {
  const records: CsvRecord[] = [];
  const reader = new CsvReader((record) => records.push(record));
  let position = 0;
  for (const size of pieces) {
    reader.push(text.slice(position, position + size));
    position += size;
  }
  reader.push(text.slice(position));
  reader.end();
  return records;
}

const sample =
  '\uFEFFlead_id,first_name,comments\r\n1001,Ana,"said ""call later"", twice"\r\n1002,"Bo\r\nMultiline",\r\n\r\n1003,Cy,"a,b"\n1004,Di,last';

const expected: CsvRecord[] = [
  { fields: ["lead_id", "first_name", "comments"], line: 1 },
  { fields: ["1001", "Ana", 'said "call later", twice'], line: 2 },
  { fields: ["1002", "Bo\r\nMultiline", ""], line: 3 },
  { fields: ["1003", "Cy", "a,b"], line: 6 },
  { fields: ["1004", "Di", "last"], line: 7 },
];

describe("CsvReader", () => {
  test("reads RFC 4180: quotes, doubled quotes, embedded line breaks, CRLF and LF, BOM, empty lines", () => {
    expect(read(sample)).toEqual(expected);
  });

  test("gives the same records however the text is split into pieces", () => {
    for (let size = 1; size <= 7; size++) {
      const pieces = Array.from({ length: Math.ceil(sample.length / size) }, () => size);
      expect(read(sample, pieces)).toEqual(expected);
    }
    for (let split = 0; split <= sample.length; split++) expect(read(sample, [split])).toEqual(expected);
  });

  test("keeps empty fields, including a trailing one", () => {
    expect(read("a,,c\n,,\nx,").map((record) => record.fields)).toEqual([["a", "", "c"], ["", "", ""], ["x", ""]]);
  });

  test.each([
    ['a,b"c\n', 1, "a quote inside an unquoted field"],
    ['a,"b"c\n', 1, "unexpected character after a closing quote"],
    ['x\na,"never closed\n', 2, "never closed"],
    ['h\n1,2\n3,"open\n4,5\n6,7\n8,"x"y\n', 3, "not closed on its line"],
  ])("refuses %j, naming line %d", (text, line, message) => {
    try {
      read(text);
      throw new Error("accepted");
    } catch (error) {
      expect(error).toBeInstanceOf(CsvSyntaxError);
      expect((error as CsvSyntaxError).line).toBe(line);
      expect((error as Error).message).toContain(message);
    }
  });

  test("refuses absurdly long fields instead of growing without bound", () => {
    const reader = new CsvReader(() => {}, 100);
    expect(() => reader.push(`"${"x".repeat(200)}`)).toThrow("longer than 100 characters");
  });
});
