import { Buffer } from "node:buffer";

/**
 * A campaign's leads in a compact binary form: every lead as one UTF-8 JSON record in a single byte
 * block, open-addressing hash tables from lead id, vendor code and phone number to record numbers,
 * and the columns the operator search looks in. Whoever reads the leads builds it (the staging
 * process during an import) and hands it over as one file read back as views of its bytes (a
 * staging thread, by transfer): no per-lead work for the serving thread, which then holds a few
 * buffers instead of hundreds of thousands of objects its collector must trace, and a lookup
 * decodes the one record it answers.
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

/** The table's buffers: structured-cloneable, each typed array a view of an ArrayBuffer of its own (see `transferList`). */
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
  /** Slot → the first record with that phone number. */
  readonly phoneSlots: Int32Array;
  readonly phoneHashes: Uint32Array;
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

const fileMagic = "SC-LEAD-TABLE-1\n";
const arrayTypes = { Uint8Array, Uint32Array, Int32Array } as const;
type ArrayPart = { [Name in keyof LeadTableParts]: LeadTableParts[Name] extends Uint8Array | Uint32Array | Int32Array ? Name : never }[keyof LeadTableParts];
interface FileHeader {
  count: number;
  audioSlots: string[];
  /** Each array's type, byte offset from the file's start (a multiple of 8) and element count. */
  arrays: Array<{ name: ArrayPart; type: keyof typeof arrayTypes; offset: number; length: number }>;
}

/** The table as the chunks of one file (a staging process hands its table over so): a header, then every array 8-byte aligned. */
export function leadTableFileChunks(parts: LeadTableParts): Uint8Array[] {
  const arrays = Object.entries(parts).filter((entry): entry is [ArrayPart, Uint8Array | Uint32Array | Int32Array] => ArrayBuffer.isView(entry[1]));
  const headerFor = (start: number): Uint8Array => {
    let offset = start;
    const header: FileHeader = {
      count: parts.count,
      audioSlots: [...parts.audioSlots],
      arrays: arrays.map(([name, array]) => {
        const entry = { name, type: array.constructor.name as keyof typeof arrayTypes, offset, length: array.length };
        offset += Math.ceil(array.byteLength / 8) * 8;
        return entry;
      }),
    };
    return encoder.encode(`${fileMagic}${JSON.stringify(header)}\n`);
  };
  // The header names offsets past itself: its length settles after a pass or two.
  let start = 0;
  let header = headerFor(start);
  while (Math.ceil(header.length / 8) * 8 !== start) {
    start = Math.ceil(header.length / 8) * 8;
    header = headerFor(start);
  }
  const chunks: Uint8Array[] = [header, new Uint8Array(start - header.length)];
  for (const [, array] of arrays) {
    chunks.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    chunks.push(new Uint8Array(Math.ceil(array.byteLength / 8) * 8 - array.byteLength));
  }
  return chunks;
}

/** Reads back what leadTableFileChunks wrote; the arrays are views of `bytes`. Throws on a file that is not one. */
export function leadTableFromFile(bytes: Uint8Array): LeadTableParts {
  const damaged = (why: string) => new Error(`the lead table file is damaged: ${why}`);
  if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
  const headerEnd = bytes.indexOf(10, fileMagic.length);
  if (decoder.decode(bytes.subarray(0, fileMagic.length)) !== fileMagic || headerEnd < 0) throw damaged("no header");
  let header: FileHeader;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(fileMagic.length, headerEnd))) as FileHeader;
  } catch {
    throw damaged("its header is not JSON");
  }
  if (!Number.isInteger(header.count) || !Array.isArray(header.audioSlots) || !Array.isArray(header.arrays)) throw damaged("its header lacks the count, audio slots or arrays");
  const parts: Record<string, unknown> = { count: header.count, audioSlots: header.audioSlots };
  for (const { name, type, offset, length } of header.arrays) {
    const kind = arrayTypes[type];
    if (!kind || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset % 8 !== 0 || offset + length * kind.BYTES_PER_ELEMENT > bytes.byteLength) {
      throw damaged(`${name} lies outside the file`);
    }
    parts[name] = new kind(bytes.buffer as ArrayBuffer, bytes.byteOffset + offset, length);
  }
  return parts as unknown as LeadTableParts;
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
  #bytes: Uint8Array;
  #length = 0;
  #ends: Uint32Array;
  #count = 0;

  constructor(values: number, bytesEach: number) {
    this.#bytes = new Uint8Array(Math.max(1 << 16, values * bytesEach));
    this.#ends = new Uint32Array(Math.max(1024, values));
  }

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

  /** Views of the column's own buffers (no copy: a copy of a large table is a long step). */
  finish(): { bytes: Uint8Array; ends: Uint32Array } {
    return { bytes: this.#bytes.subarray(0, this.#length), ends: this.#ends.subarray(0, this.#count) };
  }
}

/** A typed array twice as long, holding the same values first. */
function grown<T extends Uint32Array>(array: T): T {
  const larger = new (array.constructor as { new (length: number): T })(array.length * 2);
  larger.set(array);
  return larger;
}

/**
 * Takes leads in package order, in as many steps as the caller likes: the hash tables grow as the
 * leads come, so finishing hands the buffers over instead of passing over every lead again. Given
 * the count to expect, it sizes everything for it at once: on a serving thread a growth of a large
 * table (a rehash, a copy of tens of megabytes) is one step of tens of milliseconds.
 */
export class LeadTableBuilder {
  readonly #records: ByteColumn;
  readonly #phones: ByteColumn;
  readonly #vendors: ByteColumn;
  readonly #names: ByteColumn;
  readonly #vendorCodes: string[] = [];
  readonly #phoneNumbers: string[] = [];
  readonly #slots = new Set<string>();
  #count = 0;
  #leadIds: Uint32Array;
  #vendorHashes: Uint32Array;
  #phoneHashes: Uint32Array;
  #phoneCounts: Uint32Array;
  #leadIdSlots: Int32Array<ArrayBuffer>;
  #vendorSlots: Int32Array<ArrayBuffer>;
  #phoneSlots: Int32Array<ArrayBuffer>;

  constructor(expectedCount = 0) {
    const records = Math.max(1024, expectedCount);
    // Typical sizes of a lead's record and search columns; a larger lead only means one growth more.
    this.#records = new ByteColumn(expectedCount, 160);
    this.#phones = new ByteColumn(expectedCount, 12);
    this.#vendors = new ByteColumn(expectedCount, 12);
    this.#names = new ByteColumn(expectedCount, 24);
    this.#leadIds = new Uint32Array(records);
    this.#vendorHashes = new Uint32Array(records);
    this.#phoneHashes = new Uint32Array(records);
    this.#phoneCounts = new Uint32Array(records);
    this.#leadIdSlots = new Int32Array(slotCapacity(expectedCount)).fill(-1);
    this.#vendorSlots = new Int32Array(slotCapacity(expectedCount)).fill(-1);
    this.#phoneSlots = new Int32Array(slotCapacity(expectedCount)).fill(-1);
  }

  add(lead: ServedLead): void {
    const record = this.#count;
    if (record === this.#leadIds.length) this.#growRecords();
    if ((record + 1) * 2 > this.#leadIdSlots.length) this.#growSlots();
    this.#count++;
    this.#records.push(JSON.stringify([lead.leadId, lead.rowNumber, lead.vendorLeadCode, lead.phoneNumber, lead.fields, lead.audio]));
    this.#phones.push(lead.phoneNumber);
    this.#vendors.push(lead.vendorLeadCode.toLowerCase());
    this.#names.push(`${lead.fields.first_name ?? ""} ${lead.fields.last_name ?? ""}`.toLowerCase());
    for (const slot of Object.keys(lead.audio)) this.#slots.add(slot);
    this.#vendorCodes.push(lead.vendorLeadCode);
    this.#phoneNumbers.push(lead.phoneNumber);
    const mask = this.#leadIdSlots.length - 1;

    // Lead ids are unique in a package (checked while it is read); were one repeated, the last would win.
    this.#leadIds[record] = lead.leadId;
    let slot = hashNumber(lead.leadId) & mask;
    while (this.#leadIdSlots[slot] !== -1 && this.#leadIds[this.#leadIdSlots[slot]!] !== lead.leadId) slot = (slot + 1) & mask;
    this.#leadIdSlots[slot] = record;

    const code = lead.vendorLeadCode;
    this.#vendorHashes[record] = hashString(code);
    if (code !== "") {
      slot = this.#vendorHashes[record]! & mask;
      while (this.#vendorSlots[slot] !== -1 && this.#vendorCodes[this.#vendorSlots[slot]!] !== code) slot = (slot + 1) & mask;
      if (this.#vendorSlots[slot] === -1) this.#vendorSlots[slot] = record;
    }

    const phone = lead.phoneNumber;
    this.#phoneHashes[record] = hashString(phone);
    slot = this.#phoneHashes[record]! & mask;
    while (this.#phoneSlots[slot] !== -1 && this.#phoneNumbers[this.#phoneSlots[slot]!] !== phone) slot = (slot + 1) & mask;
    const first = this.#phoneSlots[slot]!;
    if (first === -1) {
      this.#phoneSlots[slot] = record;
      this.#phoneCounts[record] = 1;
    } else {
      this.#phoneCounts[first]! += 1;
    }
  }

  #growRecords(): void {
    this.#leadIds = grown(this.#leadIds);
    this.#vendorHashes = grown(this.#vendorHashes);
    this.#phoneHashes = grown(this.#phoneHashes);
    this.#phoneCounts = grown(this.#phoneCounts);
  }

  /** Twice the slots; the keys in a table are distinct, so each moves by its hash alone. */
  #growSlots(): void {
    const capacity = this.#leadIdSlots.length * 2;
    const mask = capacity - 1;
    const rehash = (slots: Int32Array<ArrayBuffer>, hashOf: (record: number) => number): Int32Array<ArrayBuffer> => {
      const larger = new Int32Array(capacity).fill(-1);
      for (const record of slots) {
        if (record === -1) continue;
        let slot = hashOf(record) & mask;
        while (larger[slot] !== -1) slot = (slot + 1) & mask;
        larger[slot] = record;
      }
      return larger;
    };
    this.#leadIdSlots = rehash(this.#leadIdSlots, (record) => hashNumber(this.#leadIds[record]!));
    this.#vendorSlots = rehash(this.#vendorSlots, (record) => this.#vendorHashes[record]!);
    this.#phoneSlots = rehash(this.#phoneSlots, (record) => this.#phoneHashes[record]!);
  }

  /** The table's parts, as views of the builder's buffers: the builder is not used afterwards. */
  finish(): LeadTableParts {
    const count = this.#count;
    const records = this.#records.finish();
    const phones = this.#phones.finish();
    const vendors = this.#vendors.finish();
    const names = this.#names.finish();
    return {
      count,
      audioSlots: [...this.#slots],
      records: records.bytes,
      recordEnds: records.ends,
      leadIds: this.#leadIds.subarray(0, count),
      leadIdSlots: this.#leadIdSlots,
      vendorSlots: this.#vendorSlots,
      vendorHashes: this.#vendorHashes.subarray(0, count),
      phoneSlots: this.#phoneSlots,
      phoneHashes: this.#phoneHashes.subarray(0, count),
      phoneCounts: this.#phoneCounts.subarray(0, count),
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

  /** The buffers, for a copy of the table elsewhere (a staging thread transfers its table with these). */
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
