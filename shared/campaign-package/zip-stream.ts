import { crc32 } from "node:zlib";
import { Deflate } from "fflate";
import { GrowingBytes } from "./growing-bytes.ts";

/**
 * A streaming zip writer (classic PKZIP, the form every unzip reads): each entry's bytes leave as they
 * are pushed, sizes and CRC-32 follow in a data descriptor, and the central directory is written at
 * the end. What it keeps per entry is that entry's central-directory record, ~50 bytes plus its
 * name, packed into one growing buffer — a package of 65,535 entries holds a few MB, not one object
 * graph per file (which is what made a 20,000-lead export grow by tens of MB).
 */
export interface ZipEntryWriter {
  push(data: Uint8Array): void;
  end(): void;
}

/** Classic zip: 65,535 entries, offsets and sizes below 4 GiB. */
export const zipLimits = { maxEntries: 0xffff, maxBytes: 0xffffffff };

export class ZipStreamError extends Error {
  constructor(
    readonly code: "zip.too_many_entries" | "zip.too_large" | "zip.entry_open" | "zip.finished",
    message: string,
  ) {
    super(message);
    this.name = "ZipStreamError";
  }
}

const utf8NameFlag = 0x0800;
const dataDescriptorFlag = 0x0008;
const flags = utf8NameFlag | dataDescriptorFlag;
const versionNeeded = 20;

export class ZipStream {
  readonly #emit: (chunk: Uint8Array) => void;
  readonly #dosTime: number;
  readonly #dosDate: number;
  #offset = 0;
  #entries = 0;
  #open = false;
  #finished = false;
  #directory = new GrowingBytes();

  /** `emit` receives the archive's bytes in order, synchronously, as each call produces them. */
  constructor(emit: (chunk: Uint8Array) => void, modified: Date = new Date()) {
    this.#emit = emit;
    this.#dosTime = (modified.getHours() << 11) | (modified.getMinutes() << 5) | (modified.getSeconds() >> 1);
    this.#dosDate = ((Math.max(1980, modified.getFullYear()) - 1980) << 9) | ((modified.getMonth() + 1) << 5) | modified.getDate();
  }

  get bytes(): number {
    return this.#offset;
  }

  /** Starts an entry; entries are written one after another, so the previous one must have ended. */
  openEntry(name: string, options: { deflate: boolean }): ZipEntryWriter {
    if (this.#finished) throw new ZipStreamError("zip.finished", "the archive is finished");
    if (this.#open) throw new ZipStreamError("zip.entry_open", `${name}: the previous entry has not ended`);
    if (this.#entries >= zipLimits.maxEntries) throw new ZipStreamError("zip.too_many_entries", `a zip holds at most ${zipLimits.maxEntries} entries`);
    this.#open = true;
    this.#entries++;
    const nameBytes = new TextEncoder().encode(name);
    const method = options.deflate ? 8 : 0;
    const headerOffset = this.#offset;
    const header = new Uint8Array(30 + nameBytes.length);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0x04034b50, true);
    view.setUint16(4, versionNeeded, true);
    view.setUint16(6, flags, true);
    view.setUint16(8, method, true);
    view.setUint16(10, this.#dosTime, true);
    view.setUint16(12, this.#dosDate, true);
    // CRC-32 and sizes stay zero here: they follow the data in its descriptor.
    view.setUint16(26, nameBytes.length, true);
    header.set(nameBytes, 30);
    this.#write(header);

    let checksum = 0;
    let size = 0;
    let compressedSize = 0;
    const out = (chunk: Uint8Array) => {
      compressedSize += chunk.length;
      this.#write(chunk);
    };
    const deflate = options.deflate ? new Deflate({ level: 6 }, (chunk) => out(chunk)) : null;
    return {
      push: (data) => {
        checksum = crc32(data, checksum);
        size += data.length;
        if (deflate) deflate.push(data, false);
        else if (data.length > 0) out(data);
      },
      end: () => {
        deflate?.push(new Uint8Array(0), true);
        if (size > zipLimits.maxBytes || compressedSize > zipLimits.maxBytes) throw new ZipStreamError("zip.too_large", `${name} is larger than a zip entry may be (4 GiB)`);
        const descriptor = new Uint8Array(16);
        const descriptorView = new DataView(descriptor.buffer);
        descriptorView.setUint32(0, 0x08074b50, true);
        descriptorView.setUint32(4, checksum >>> 0, true);
        descriptorView.setUint32(8, compressedSize, true);
        descriptorView.setUint32(12, size, true);
        this.#write(descriptor);
        this.#record({ nameBytes, method, checksum: checksum >>> 0, compressedSize, size, headerOffset });
        this.#open = false;
      },
    };
  }

  /** Writes the central directory and the end record. */
  finish(): void {
    if (this.#open) throw new ZipStreamError("zip.entry_open", "the last entry has not ended");
    if (this.#finished) throw new ZipStreamError("zip.finished", "the archive is finished");
    this.#finished = true;
    const directoryOffset = this.#offset;
    const directoryLength = this.#directory.length;
    for (const piece of this.#directory.pieces()) this.#write(piece);
    const end = new Uint8Array(22);
    const view = new DataView(end.buffer);
    view.setUint32(0, 0x06054b50, true);
    view.setUint16(8, this.#entries, true);
    view.setUint16(10, this.#entries, true);
    view.setUint32(12, directoryLength, true);
    view.setUint32(16, directoryOffset, true);
    this.#write(end);
    this.#directory = new GrowingBytes();
  }

  #write(chunk: Uint8Array): void {
    this.#offset += chunk.length;
    if (this.#offset > zipLimits.maxBytes) throw new ZipStreamError("zip.too_large", "the archive would pass 4 GiB, more than a classic zip can address");
    this.#emit(chunk);
  }

  #record(entry: { nameBytes: Uint8Array; method: number; checksum: number; compressedSize: number; size: number; headerOffset: number }): void {
    const record = new Uint8Array(46 + entry.nameBytes.length);
    const view = new DataView(record.buffer);
    view.setUint32(0, 0x02014b50, true);
    view.setUint16(4, versionNeeded, true);
    view.setUint16(6, versionNeeded, true);
    view.setUint16(8, flags, true);
    view.setUint16(10, entry.method, true);
    view.setUint16(12, this.#dosTime, true);
    view.setUint16(14, this.#dosDate, true);
    view.setUint32(16, entry.checksum, true);
    view.setUint32(20, entry.compressedSize, true);
    view.setUint32(24, entry.size, true);
    view.setUint16(28, entry.nameBytes.length, true);
    // Extra field, comment, disk number and attributes: all zero.
    view.setUint32(42, entry.headerOffset, true);
    record.set(entry.nameBytes, 46);
    this.#directory.append(record);
  }
}
