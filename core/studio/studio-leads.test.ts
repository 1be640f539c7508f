import { describe, expect, test } from "bun:test";
import { readStudioLeads, type StudioLeadsResult } from "./studio-leads.ts";

const header = "lead_id,vendor_lead_code,phone_number,first_name,last_name,city,comments";

function problemsOf(result: StudioLeadsResult) {
  if (result.ok) throw new Error(`accepted ${result.leads.length} leads`);
  return result.problems;
}

function streamOf(text: string, pieceBytes: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + pieceBytes));
      offset += pieceBytes;
    },
  });
}

describe("studio leads from CSV", () => {
  const csv = `\uFEFF${header}\r\n1001,V-1,+1 (555) 010-2000,Мария,Иванова,Москва,"said ""call after 5pm"", twice"\r\n1002,,555.010.2001, James ,Smith,Austin,\r\n`;

  test("reads VICIdial's lead fields as the package contract does: digits-only phones, trimmed fields, quoted text", async () => {
    const result = await readStudioLeads(csv);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.columns).toEqual(["lead_id", "vendor_lead_code", "phone_number", "first_name", "last_name", "city", "comments"]);
    expect(result.leads).toEqual([
      { leadId: 1001, rowNumber: 1, phoneNumber: "15550102000", vendorLeadCode: "V-1", fields: { vendor_lead_code: "V-1", first_name: "Мария", last_name: "Иванова", city: "Москва", comments: 'said "call after 5pm", twice' } },
      { leadId: 1002, rowNumber: 2, phoneNumber: "5550102001", vendorLeadCode: "", fields: { vendor_lead_code: "", first_name: "James", last_name: "Smith", city: "Austin", comments: "" } },
    ]);
  });

  test("the same leads however the upload's bytes are split (a multi-byte letter across two pieces included)", async () => {
    const whole = await readStudioLeads(csv);
    for (const size of [1, 3, 7, 64]) expect(await readStudioLeads(streamOf(csv, size))).toEqual(whole);
    expect(await readStudioLeads(new TextEncoder().encode(csv))).toEqual(whole);
  });

  test("bad rows are reported with row, line and column, and no lead is taken", async () => {
    const text = [header, "1001,,5550102000,Ana,Lee,Austin,", "abc,,5550102001,Bo,Kim,Tampa,", "1003,,12,Cy,Day,Omaha,", "1004,,5550102003,Di,Fox,Boise", "1001,,5550102004,Ed,Gray,Salem,"].join("\n");
    const result = await readStudioLeads(text);
    expect(result.ok).toBe(false);
    expect(problemsOf(result).map(({ code, row, line, column }) => ({ code, row, line, column }))).toEqual([
      { code: "leads.invalid_field", row: 2, line: 3, column: "lead_id" },
      { code: "leads.invalid_field", row: 3, line: 4, column: "phone_number" },
      { code: "leads.wrong_field_count", row: 4, line: 5, column: undefined },
      { code: "leads.duplicate_lead_id", row: 5, line: 6, column: "lead_id" },
    ]);
    expect(problemsOf(result)[3]!.message).toContain("already appears on row 1");
    expect("leads" in result).toBe(false);
  });

  test("refuses audio columns (the studio makes the audio), a missing phone_number column and reserved names", async () => {
    const result = await readStudioLeads("lead_id,first_name,audio_greeting,campaign\n1,Ana,greeting/1,X\n");
    expect(problemsOf(result).map((problem) => [problem.code, problem.column])).toEqual([
      ["leads.reserved_column", "campaign"],
      ["leads.missing_column", "phone_number"],
      ["leads.audio_column", "audio_greeting"],
    ]);
  });

  test("VICIdial's field limits: a vendor_lead_code longer than 20 characters, a list_id that is not digits", async () => {
    const result = await readStudioLeads(`lead_id,phone_number,vendor_lead_code,list_id\n1,5550102000,${"V".repeat(21)},12a\n`);
    expect(problemsOf(result).map((problem) => problem.column)).toEqual(["vendor_lead_code", "list_id"]);
  });

  test.each([
    ["not UTF-8", new Uint8Array([...new TextEncoder().encode("lead_id,phone_number\n1,5550102000,"), 0xff, 0xfe, 10]), "leads.not_utf8"],
    ["broken quoting", 'lead_id,phone_number,first_name\n1,5550102000,"Ana\n', "leads.csv_syntax"],
    ["empty", "", "leads.empty"],
    ["a header only", "lead_id,phone_number\n", "leads.empty"],
  ] as const)("%s is refused", async (_name, input, code) => {
    expect(problemsOf(await readStudioLeads(input)).map((problem) => problem.code)).toEqual([code]);
  });

  test("more rows than allowed stop the reading; only the first problems are kept, all are counted", async () => {
    const rows = Array.from({ length: 30 }, (_, index) => `${index + 1},5550102${String(index).padStart(3, "0")}`);
    const tooMany = await readStudioLeads(["lead_id,phone_number", ...rows].join("\n"), { maxLeads: 10 });
    expect(problemsOf(tooMany).map((problem) => [problem.code, problem.row])).toEqual([["leads.too_many", 11]]);
    const bad = await readStudioLeads(["lead_id,phone_number", ...rows.map((row) => `x${row}`)].join("\n"), { maxProblems: 5 });
    expect(bad.ok ? 0 : bad.problemCount).toBe(30);
    expect(problemsOf(bad).length).toBe(5);
  });
});
