import { Buffer } from "node:buffer";

/**
 * A campaign's leads in a compact binary form: every lead as one UTF-8 JSON record in a single byte
 * block, open-addressing hash tables from lead id, vendor code and phone number to record numbers,
 * and the columns the operator search looks in. The thread that reads the leads builds it (the
 * staging thread during an import) and hands it over by transfer, without a copy: the serving
 * thread then holds a few buffers instead of hundreds of thousands of objects its collector must
 * trace, and a lookup decodes the one record it answers.
 */

/** A lead as the dialer and the pages see it. */
export interface ServedLead {
  readonly leadId: number;
  /** 1 = first lead of the package. */
  readonly rowNumber: number;
  readonly vendorLeadCode: string;
  /** Digits only. */
  readonly phoneNumber: string;
  /** The lead's other columns, in package order. */
  readonly fields: Readonly<Record<string, string>>;
  /** Audio slot → package path (`audio/…wav`); "" when the lead has no audio for that slot. */
  readonly audio: Readonly<Record<string, string>>;
}

/** The table's buffers: structured-cloneable, each typed array owning its own ArrayBuffer (see `transferList`). */
export interface LeadTableParts {
  readonly count: number;
  /** Audio slots in the order the leads first name them. */
  readonly audioSlots: readonly string[];
  /** Record i is `records[recordEnds[i - 1] ?? 0 .. recordEnds[i]]`: `[leadId, rowNumber, vendorLeadCode, phoneNumber, fields, audio]`. */
  readonly records: Uint8Array;
  readonly recordEnds: Uint32Array;
  readonly leadIds: Uint32Array;
  /** Hash slot → record number, -1 empty; the capacity is a power of two, at least twice the count. */
  readonly leadIdSlots: Int32Array;
  /** Slot → the first record with that vendor code (empty codes are not indexed). */
  readonly vendorSlots: Int32Array;
  readonly vendorHashes: Uint32Array;
  /** Slot → the first record with that phone number; `phoneNext` chains the others in package order. */
  readonly phoneSlots: Int32Array;
  readonly phoneHashes: Uint32Array;
  readonly phoneNext: Int32Array;
  /** How many records share the number, at each number's first record. */
  readonly phoneCounts: Uint32Array;
  /** Search columns: phone digits, lower-case vendor codes, lower-case `first_name last_name`. */
  readonly searchPhones: Uint8Array;
  readonly searchPhoneEnds: Uint32Array;
  readonly searchVendors: Uint8Array;
  readonly searchVendorEnds: Uint32Array;
  readonly searchNames: Uint8Array;
  readonly searchNameEnds: Uint32Array;
}

/** The buffers to transfer along with the parts. */
export function transferList(parts: LeadTableParts): ArrayBuffer[] {
  return Object.values(parts)
    .filter((value): value is Uint8Array | Uint32Array | Int32Array => ArrayBuffer.isView(value))
    .map((view) => view.buffer as ArrayBuffer);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** FNV-1a over UTF-16 code units. */
function hashString(value: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function hashNumber(value: number): number {
  let hash = Math.imul(value ^ (value >>> 16), 0x45d9f3b);
  hash = Math.imul(hash ^ (hash >>> 16), 0x45d9f3b);
  return (hash ^ (hash >>> 16)) >>> 0;
}

function slotCapacity(count: number): number {
  let capacity = 16;
  while (capacity < count * 2) capacity *= 2;
  return capacity;
}

/** A growing UTF-8 column: values one after another, with where each ends. */
class ByteColumn {
  #bytes = new Uint8Array(1 << 16);
  #length = 0;
  #ends = new Uint32Array(1024);
  #count = 0;

  push(value: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.#reserve(value.length * 3);
    this.#length += encoder.encodeInto(value, this.#bytes.subarray(this.#length)).written;
    if (this.#count === this.#ends.length) {
      const ends = new Uint32Array(this.#ends.length * 2);
      ends.set(this.#ends);
      this.#ends = ends;
    }
    this.#ends[this.#count++] = this.#length;
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#length + extra) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = bytes;
  }

  /** Copies that own exactly their bytes. */
  finish(): { bytes: Uint8Array; ends: Uint32Array } {
    return { bytes: this.#bytes.slice(0, this.#length), ends: this.#ends.slice(0, this.#count) };
  }
}

/** Takes leads in package order, in as many steps as the caller likes. */
export class LeadTableBuilder {
  readonly #records = new ByteColumn();
  readonly #phones = new ByteColumn();
  readonly #vendors = new ByteColumn();
  readonly #names = new ByteColumn();
  readonly #leadIds: number[] = [];
  readonly #vendorCodes: string[] = [];
  readonly #phoneNumbers: string[] = [];
  readonly #slots = new Set<string>();

  get count(): number {
    return this.#leadIds.length;
  }

  add(lead: ServedLead): void {
    this.#records.push(JSON.stringify([lead.leadId, lead.rowNumber, lead.vendorLeadCode, lead.phoneNumber, lead.fields, lead.audio]));
    this.#phones.push(lead.phoneNumber);
    this.#vendors.push(lead.vendorLeadCode.toLowerCase());
    this.#names.push(`${lead.fields.first_name ?? ""} ${lead.fields.last_name ?? ""}`.toLowerCase());
    this.#leadIds.push(lead.leadId);
    this.#vendorCodes.push(lead.vendorLeadCode);
    this.#phoneNumbers.push(lead.phoneNumber);
    for (const slot of Object.keys(lead.audio)) this.#slots.add(slot);
  }

  finish(): LeadTableParts {
    const count = this.#leadIds.length;
    const capacity = slotCapacity(count);
    const mask = capacity - 1;
    const leadIds = Uint32Array.from(this.#leadIds);
    const leadIdSlots = new Int32Array(capacity).fill(-1);
    const vendorSlots = new Int32Array(capacity).fill(-1);
    const vendorHashes = new Uint32Array(count);
    const phoneSlots = new Int32Array(capacity).fill(-1);
    const phoneHashes = new Uint32Array(count);
    const phoneNext = new Int32Array(count).fill(-1);
    const phoneCounts = new Uint32Array(count);
    const lastWithPhone = new Int32Array(count);
    for (let record = 0; record < count; record++) {
      // Lead ids are unique in a package (checked while it is read); were one repeated, the last would win.
      let slot = hashNumber(leadIds[record]!) & mask;
      while (leadIdSlots[slot] !== -1 && leadIds[leadIdSlots[slot]!] !== leadIds[record]) slot = (slot + 1) & mask;
      leadIdSlots[slot] = record;

      const code = this.#vendorCodes[record]!;
      vendorHashes[record] = hashString(code);
      if (code !== "") {
        slot = vendorHashes[record]! & mask;
        while (vendorSlots[slot] !== -1 && this.#vendorCodes[vendorSlots[slot]!] !== code) slot = (slot + 1) & mask;
        if (vendorSlots[slot] === -1) vendorSlots[slot] = record;
      }

      const phone = this.#phoneNumbers[record]!;
      phoneHashes[record] = hashString(phone);
      slot = phoneHashes[record]! & mask;
      while (phoneSlots[slot] !== -1 && this.#phoneNumbers[phoneSlots[slot]!] !== phone) slot = (slot + 1) & mask;
      const first = phoneSlots[slot]!;
      if (first === -1) {
        phoneSlots[slot] = record;
        phoneCounts[record] = 1;
        lastWithPhone[record] = record;
      } else {
        phoneNext[lastWithPhone[first]!] = record;
        lastWithPhone[first] = record;
        phoneCounts[first]! += 1;
      }
    }
    const records = this.#records.finish();
    const phones = this.#phones.finish();
    const vendors = this.#vendors.finish();
    const names = this.#names.finish();
    return {
      count,
      audioSlots: [...this.#slots],
      records: records.bytes,
      recordEnds: records.ends,
      leadIds,
      leadIdSlots,
      vendorSlots,
      vendorHashes,
      phoneSlots,
      phoneHashes,
      phoneNext,
      phoneCounts,
      searchPhones: phones.bytes,
      searchPhoneEnds: phones.ends,
      searchVendors: vendors.bytes,
      searchVendorEnds: vendors.ends,
      searchNames: names.bytes,
      searchNameEnds: names.ends,
    };
  }
}

/** The leads of one snapshot, read-only; lookups are O(1) and decode one record. */
export class LeadTable {
  readonly #parts: LeadTableParts;
  readonly #mask: number;

  constructor(parts: LeadTableParts) {
    this.#parts = parts;
    this.#mask = parts.leadIdSlots.length - 1;
  }

  get length(): number {
    return this.#parts.count;
  }

  get audioSlots(): readonly string[] {
    return this.#parts.audioSlots;
  }

  /** The lead at a record number (package order), decoded anew: frozen, like every lead served. */
  at(record: number): ServedLead {
    const { records, recordEnds } = this.#parts;
    const start = record === 0 ? 0 : recordEnds[record - 1]!;
    const [leadId, rowNumber, vendorLeadCode, phoneNumber, fields, audio] = JSON.parse(decoder.decode(records.subarray(start, recordEnds[record]!))) as [
      number,
      number,
      string,
      string,
      Record<string, string>,
      Record<string, string>,
    ];
    return Object.freeze({ leadId, rowNumber, vendorLeadCode, phoneNumber, fields: Object.freeze(fields), audio: Object.freeze(audio) });
  }

  /** Record number of a lead id, or -1. */
  findLeadId(leadId: number): number {
    const { leadIdSlots, leadIds } = this.#parts;
    let slot = hashNumber(leadId) & this.#mask;
    for (let record = leadIdSlots[slot]!; record !== -1; record = leadIdSlots[slot]!) {
      if (leadIds[record] === leadId) return record;
      slot = (slot + 1) & this.#mask;
    }
    return -1;
  }

  /** Record number of the first lead with this vendor code, or -1. */
  findVendorCode(code: string): number {
    if (code === "") return -1;
    const { vendorSlots, vendorHashes } = this.#parts;
    const hash = hashString(code);
    let slot = hash & this.#mask;
    for (let record = vendorSlots[slot]!; record !== -1; record = vendorSlots[slot]!) {
      if (vendorHashes[record] === hash && this.at(record).vendorLeadCode === code) return record;
      slot = (slot + 1) & this.#mask;
    }
    return -1;
  }

  /** The first lead with these phone digits and how many share them; record -1 when none. */
  findPhone(digits: string): { record: number; matches: number } {
    const { phoneSlots, phoneHashes, phoneCounts } = this.#parts;
    const hash = hashString(digits);
    let slot = hash & this.#mask;
    for (let record = phoneSlots[slot]!; record !== -1; record = phoneSlots[slot]!) {
      if (phoneHashes[record] === hash && this.at(record).phoneNumber === digits) return { record, matches: phoneCounts[record]! };
      slot = (slot + 1) & this.#mask;
    }
    return { record: -1, matches: 0 };
  }

  /** Every record with these phone digits, in package order. */
  withPhone(digits: string): number[] {
    const found: number[] = [];
    for (let record = this.findPhone(digits).record; record !== -1; record = this.#parts.phoneNext[record]!) found.push(record);
    return found;
  }

  /**
   * Records matching an operator search, in package order: `needle` (trimmed, lower-case) equal to
   * the lead id, inside the phone digits (`digits`, three or more), the vendor code or the name.
   */
  search(needle: string, digits: string): number[] {
    const count = this.#parts.count;
    const matched = new Uint8Array(count);
    if (/^\d{1,10}$/.test(needle) && String(Number(needle)) === needle) {
      const record = this.findLeadId(Number(needle));
      if (record !== -1) matched[record] = 1;
    }
    // UTF-8 keeps substrings substrings; text that is not well-formed does not survive encoding, so it is compared as text.
    if (!needle.isWellFormed() || needle.includes("\ufffd")) return this.#searchDecoded(needle, digits, matched);
    if (/^\d{3,}$/.test(digits)) markContaining(matched, this.#parts.searchPhones, this.#parts.searchPhoneEnds, encoder.encode(digits));
    const needleBytes = encoder.encode(needle);
    markContaining(matched, this.#parts.searchVendors, this.#parts.searchVendorEnds, needleBytes);
    markContaining(matched, this.#parts.searchNames, this.#parts.searchNameEnds, needleBytes);
    const found: number[] = [];
    for (let record = 0; record < count; record++) if (matched[record] === 1) found.push(record);
    return found;
  }

  #searchDecoded(needle: string, digits: string, matched: Uint8Array): number[] {
    const found: number[] = [];
    for (let record = 0; record < this.#parts.count; record++) {
      const lead = this.at(record);
      const name = `${lead.fields.first_name ?? ""} ${lead.fields.last_name ?? ""}`.toLowerCase();
      if (matched[record] === 1 || (/^\d{3,}$/.test(digits) && lead.phoneNumber.includes(digits)) || lead.vendorLeadCode.toLowerCase().includes(needle) || name.includes(needle)) found.push(record);
    }
    return found;
  }

  /** The buffers, for a copy of the table elsewhere (the staging thread sends its table with these). */
  get parts(): LeadTableParts {
    return this.#parts;
  }
}

/** Marks every record whose value in a column contains `needle` (non-empty). */
function markContaining(matched: Uint8Array, column: Uint8Array, ends: Uint32Array, needle: Uint8Array): void {
  if (needle.length === 0) return;
  const bytes = Buffer.from(column.buffer, column.byteOffset, column.byteLength);
  let from = 0;
  let record = 0;
  while (true) {
    const at = bytes.indexOf(needle, from);
    if (at < 0) return;
    while (ends[record]! <= at) record++;
    if (at + needle.length <= ends[record]!) {
      matched[record] = 1;
      from = ends[record]!;
      record++;
    } else {
      from = at + 1;
    }
  }
}

export function emptyLeadTable(): LeadTable {
  return new LeadTable(new LeadTableBuilder().finish());
}
