import { describe, expect, test } from "bun:test";
import { LeadTable, LeadTableBuilder, type LeadTableParts, leadTableFileChunks, leadTableFromFile, type ServedLead, transferList } from "./lead-table.ts";

function lead(leadId: number, values: Partial<Omit<ServedLead, "leadId">> = {}): ServedLead {
  return {
    leadId,
    rowNumber: values.rowNumber ?? leadId,
    vendorLeadCode: values.vendorLeadCode ?? `V-${leadId}`,
    phoneNumber: values.phoneNumber ?? `4930${String(leadId).padStart(7, "0")}`,
    fields: values.fields ?? { first_name: "Anna", last_name: `Berg ${leadId}`, city: "Köln" },
    audio: values.audio ?? { greeting: `audio/greeting/${leadId}.wav`, offer: "" },
  };
}

function tableOf(leads: ServedLead[]): LeadTable {
  const builder = new LeadTableBuilder();
  for (const each of leads) builder.add(each);
  return new LeadTable(builder.finish());
}

/** The bytes of the file a staging process writes for `parts`. */
function fileOf(parts: LeadTableParts): Uint8Array {
  const chunks = leadTableFileChunks(parts);
  const file = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.byteLength, 0));
  chunks.reduce((offset, chunk) => (file.set(chunk, offset), offset + chunk.byteLength), 0);
  return file;
}

/** The operator search as it reads, one lead object at a time: what the table's columns must answer. */
function searchedOneByOne(leads: ServedLead[], query: string): number[] {
  const needle = query.trim().toLowerCase();
  const digits = needle.replace(/[\s().+-]/g, "");
  return leads.flatMap((each, record) => {
    const name = `${each.fields.first_name ?? ""} ${each.fields.last_name ?? ""}`.toLowerCase();
    const hit =
      String(each.leadId) === needle || (/^\d{3,}$/.test(digits) && each.phoneNumber.includes(digits)) || each.vendorLeadCode.toLowerCase().includes(needle) || name.includes(needle);
    return hit ? [record] : [];
  });
}

describe("lead table", () => {
  test("every lead comes back field for field, frozen, from its lead id, past several growths of the tables", () => {
    const leads = Array.from({ length: 5000 }, (_, index) => lead(1001 + index * 3));
    const table = tableOf(leads);
    expect(table.length).toBe(5000);
    expect(table.audioSlots).toEqual(["greeting", "offer"]);
    for (const [record, each] of leads.entries()) {
      expect(table.findLeadId(each.leadId)).toBe(record);
      expect(table.findVendorCode(each.vendorLeadCode)).toBe(record);
      expect(table.findPhone(each.phoneNumber)).toEqual({ record, matches: 1 });
    }
    const decoded = table.at(4999);
    expect(decoded).toEqual(leads[4999]!);
    expect(Object.isFrozen(decoded) && Object.isFrozen(decoded.fields) && Object.isFrozen(decoded.audio)).toBe(true);
    expect(table.findLeadId(1002)).toBe(-1);
    expect(table.findLeadId(4294967295)).toBe(-1);
    expect(table.findVendorCode("V-1002")).toBe(-1);
    expect(table.findPhone("49300000000")).toEqual({ record: -1, matches: 0 });
  });

  test("a shared phone number answers its first lead and how many share it; a shared vendor code its first lead; empty codes none", () => {
    const leads = [
      lead(1, { phoneNumber: "555", vendorLeadCode: "A" }),
      lead(2, { phoneNumber: "777", vendorLeadCode: "" }),
      lead(3, { phoneNumber: "555", vendorLeadCode: "A" }),
      lead(4, { phoneNumber: "555", vendorLeadCode: "" }),
    ];
    const table = tableOf(leads);
    expect(table.findPhone("555")).toEqual({ record: 0, matches: 3 });
    expect(table.findPhone("777")).toEqual({ record: 1, matches: 1 });
    expect(table.findVendorCode("A")).toBe(0);
    expect(table.findVendorCode("a")).toBe(-1);
    expect(table.findVendorCode("")).toBe(-1);
  });

  test("text of every kind survives: accents, scripts, emoji, quotes, line breaks, a lone surrogate, digit column names", () => {
    const odd = lead(7, {
      vendorLeadCode: 'Ü-"7"\n',
      fields: { "2": "second", first_name: "Zoë 😀", last_name: "Ἀθηνᾶ \ud800", note: "tab\tand\\backslash" },
      audio: { greeting: "audio/greeting/ü.wav" },
    });
    const table = tableOf([lead(1), odd]);
    expect(table.at(1)).toEqual(odd);
    expect(Object.keys(table.at(1).fields)).toEqual(Object.keys(odd.fields));
    expect(table.findVendorCode('Ü-"7"\n')).toBe(1);
  });

  test("the operator search finds what reading each lead would, in package order", () => {
    const leads = [
      ...Array.from({ length: 300 }, (_, index) => lead(1001 + index)),
      lead(5000, { vendorLeadCode: "ÜBER-1", phoneNumber: "4915112345678", fields: { first_name: "Łukasz", last_name: "Żółć" } }),
      lead(5001, { vendorLeadCode: "x", phoneNumber: "1001", fields: { first_name: "İpek", last_name: "😀 Smile" } }),
      lead(5002, { vendorLeadCode: "", phoneNumber: "999", fields: { city: "no name" } }),
      lead(5003, { fields: { first_name: "lone \ud800 half", last_name: "" } }),
    ];
    const table = tableOf(leads);
    const queries = ["anna", "ANNA BERG 1", "berg 12", "1001", "1299", "0001", "01", "+49 151-123", "(030) 000", "über", "żółć", "łukasz żółć", "i̇pek", "😀", "smile", "v-", "5002", "zzz", "\ud800", "\ufffd", "a b"];
    for (const query of queries) expect({ query, found: table.search(query.trim().toLowerCase(), query.trim().toLowerCase().replace(/[\s().+-]/g, "")) }).toEqual({ query, found: searchedOneByOne(leads, query) });
    expect(table.search("1299", "1299").length).toBeGreaterThan(0);
    expect(table.search("żółć", "żółć")).toEqual([300]);
  });

  test("the table crosses to another thread whole, as transferred buffers, and answers there the same", async () => {
    const leads = Array.from({ length: 1000 }, (_, index) => lead(1 + index));
    const builder = new LeadTableBuilder();
    for (const each of leads) builder.add(each);
    const parts = builder.finish();
    const bytes = parts.records.byteLength;
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<LeadTableParts>((resolve) => (port2.onmessage = (event) => resolve(event.data)));
    port1.postMessage(parts, transferList(parts));
    const arrived = new LeadTable(await received);
    port1.close();
    port2.close();
    expect(parts.records.byteLength).toBe(0);
    expect(arrived.length).toBe(1000);
    expect(arrived.at(arrived.findLeadId(640))).toEqual(leads[639]!);
    expect(arrived.parts.records.byteLength).toBe(bytes);
  });

  test("the table crosses to another process whole, as one file read back as views of its bytes, and answers there the same", () => {
    const leads = Array.from({ length: 1000 }, (_, index) => lead(1 + index, index === 7 ? { fields: { first_name: "Zoë 😀", last_name: "" } } : {}));
    const parts = tableOf(leads).parts;
    const file = fileOf(parts);
    // As a read can hand the bytes over at any offset in its buffer: one that breaks alignment too.
    const unaligned = new Uint8Array(file.byteLength + 3).subarray(3);
    unaligned.set(file);
    for (const bytes of [file, unaligned]) {
      const read = leadTableFromFile(bytes);
      expect(read).toEqual(parts);
      const table = new LeadTable(read);
      expect(table.at(table.findLeadId(8))).toEqual(leads[7]!);
      expect(table.search("zoë", "zoë")).toEqual([7]);
    }
    expect(leadTableFromFile(file).records.buffer).toBe(file.buffer);
  });

  test("a file that is not a whole lead table is refused with what is wrong", () => {
    const whole = fileOf(tableOf([lead(1), lead(2)]).parts);
    expect(() => leadTableFromFile(new TextEncoder().encode("lead_id,phone\n1,2\n"))).toThrow("the lead table file is damaged: no header");
    expect(() => leadTableFromFile(new TextEncoder().encode("SC-LEAD-TABLE-1\n{count: 2}\n"))).toThrow("the lead table file is damaged: its header is not JSON");
    expect(() => leadTableFromFile(new TextEncoder().encode('SC-LEAD-TABLE-1\n{"count":2}\n'))).toThrow("the lead table file is damaged: its header lacks the count, audio slots or arrays");
    expect(() => leadTableFromFile(whole.subarray(0, whole.byteLength - 16))).toThrow(/the lead table file is damaged: \w+ lies outside the file/);
    const negative = 'SC-LEAD-TABLE-1\n{"count":2,"audioSlots":[],"arrays":[{"name":"records","type":"Uint8Array","offset":64,"length":-8}]}\n';
    expect(() => leadTableFromFile(new TextEncoder().encode(negative.padEnd(128, " ")))).toThrow("the lead table file is damaged: records lies outside the file");
  });
});
