import { describe, expect, test } from "bun:test";
import { type SqlInsertRow, SqlInsertReader, SqlSyntaxError } from "./sql-insert-reader.ts";

function read(text: string, pieceSize = 0): SqlInsertRow[] {
  const rows: SqlInsertRow[] = [];
  const reader = new SqlInsertReader((row) => rows.push(row));
  if (pieceSize === 0) reader.push(text);
  else for (let index = 0; index < text.length; index += pieceSize) reader.push(text.slice(index, index + pieceSize));
  reader.end();
  return rows;
}

const dump = `-- exported from the campaign studio
/* two statements,
   several rows */
INSERT INTO \`vicidial_list\` (lead_id, phone_number, first_name, comments) VALUES
  (1001, '5125550100', 'O''Brien', NULL),
  (1002, '5125550101', 'Zoë', 'line one
line two; with "quotes" -- not a comment');
# a MySQL-style comment
insert ignore into leads ("lead_id", phone_number, first_name, comments) values (1003, -5, '', '/* kept */');
`;

describe("SqlInsertReader", () => {
  test("reads the values of INSERT statements: quoting, NULL, comments, several statements and rows", () => {
    const rows = read(dump);
    expect(rows.map((row) => row.values)).toEqual([
      ["1001", "5125550100", "O'Brien", ""],
      ["1002", "5125550101", "Zoë", 'line one\nline two; with "quotes" -- not a comment'],
      ["1003", "-5", "", "/* kept */"],
    ]);
    expect(rows.map((row) => [row.table, row.statement, row.line])).toEqual([
      ["vicidial_list", 1, 5],
      ["vicidial_list", 1, 6],
      ["leads", 2, 9],
    ]);
    expect(rows[0]!.columns).toEqual(["lead_id", "phone_number", "first_name", "comments"]);
  });

  test("gives the same rows however the text is split into pieces", () => {
    const whole = read(dump);
    for (const size of [1, 2, 3, 5, 8, 13]) expect(read(dump, size)).toEqual(whole);
  });

  test.each([
    ["DROP TABLE leads;", 1, "only INSERT statements are read"],
    ["INSERT INTO leads VALUES (1, '2');", 1, "has no column list"],
    ["INSERT INTO leads (a) VALUES (now());", 1, 'only literal values are read (strings, numbers, NULL); found "now"'],
    ["INSERT INTO leads (a) VALUES (\"x\");", 1, "is a quoted name, not a value"],
    ["INSERT INTO leads (a) SELECT 1;", 1, "expected VALUES"],
    ["INSERT INTO leads (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2;", 1, "ON DUPLICATE KEY"],
    ["\n\nINSERT INTO leads (a) VALUES ('never closed);", 3, "never closed"],
    ["INSERT INTO leads (a) VALUES (1), (2", 1, "incomplete"],
    ["INSERT INTO leads (a) VALUES (1);\nSELECT * FROM vicidial_users;", 2, "only INSERT statements"],
  ])("refuses %j at line %d", (text, line, message) => {
    try {
      read(text);
      throw new Error("accepted");
    } catch (error) {
      expect(error).toBeInstanceOf(SqlSyntaxError);
      expect((error as SqlSyntaxError).line).toBe(line);
      expect((error as Error).message).toContain(message);
    }
  });
});
