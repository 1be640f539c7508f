import { crc32 } from "node:zlib";
import { Deflate } from "fflate";
import { SpillFile } from "./spill-file.ts";

/**
 * A streaming zip writer: each entry's bytes leave as they are pushed, sizes and CRC-32 follow in a
 * data descriptor, and the central directory is written at the end. An archive stays classic PKZIP
 * (the form every unzip reads) until it needs more: from 65,535 entries, or an offset or size of
 * 4 GiB, the fields that do not fit go to zip64 extra fields and a zip64 end-of-central-directory
 * record and locator (APPNOTE 6.3, 4.3.14–4.3.15, 4.5.3). An entry is only known to be large once it
 * has ended, so it says so in its zip64 data descriptor and central record (as Go's archive/zip does);
 * `forceZip64` instead writes every entry zip64 from its local header on (Info-ZIP's `zip -fz`).
 *
 * What it keeps per entry is that entry's central-directory record, ~50 bytes plus its name,
 * appended to a spill file (spill-file.ts): memory stays flat however many entries there are.
 */
export interface ZipEntryWriter {
  push(data: Uint8Array): void;
  end(): void;
}

export interface ZipStreamOptions {
  /** The entries' modification time. */
  modified?: Date;
  /** Zip64 for every entry and for the end of the archive, however small. */
  forceZip64?: boolean;
  /** Where the central directory spills past its first 256 KB (the system's temp directory by default). */
  spillDirectory?: string;
}

/** Classic zip fields: past these an archive needs zip64. */
export const classicZipLimits = { maxEntries: 0xffff, maxBytes: 0xffffffff };

export class ZipStreamError extends Error {
  constructor(
    readonly code: "zip.entry_open" | "zip.finished",
    message: string,
  ) {
    super(message);
    this.name = "ZipStreamError";
  }
}

const utf8NameFlag = 0x0800;
const dataDescriptorFlag = 0x0008;
const flags = utf8NameFlag | dataDescriptorFlag;
const classicVersion = 20;
const zip64Version = 45;
const zip64ExtraId = 0x0001;

interface CentralEntry {
  nameBytes: Uint8Array;
  method: number;
  checksum: number;
  compressedSize: number;
  size: number;
  headerOffset: number;
}

export class ZipStream {
  readonly #emit: (chunk: Uint8Array) => void;
  readonly #dosTime: number;
  readonly #dosDate: number;
  readonly #forceZip64: boolean;
  #offset = 0;
  #entries = 0;
  #open = false;
  #finished = false;
  readonly #directory: SpillFile;

  /** `emit` receives the archive's bytes in order, synchronously, as each call produces them. */
  constructor(emit: (chunk: Uint8Array) => void, options: ZipStreamOptions = {}) {
    const modified = options.modified ?? new Date();
    this.#emit = emit;
    this.#forceZip64 = options.forceZip64 === true;
    this.#directory = new SpillFile({ directory: options.spillDirectory });
    this.#dosTime = (modified.getHours() << 11) | (modified.getMinutes() << 5) | (modified.getSeconds() >> 1);
    this.#dosDate = ((Math.max(1980, modified.getFullYear()) - 1980) << 9) | ((modified.getMonth() + 1) << 5) | modified.getDate();
  }

  get bytes(): number {
    return this.#offset;
  }

  get entries(): number {
    return this.#entries;
  }

  /** Starts an entry; entries are written one after another, so the previous one must have ended. */
  openEntry(name: string, options: { deflate: boolean }): ZipEntryWriter {
    if (this.#finished) throw new ZipStreamError("zip.finished", "the archive is finished");
    if (this.#open) throw new ZipStreamError("zip.entry_open", `${name}: the previous entry has not ended`);
    this.#open = true;
    this.#entries++;
    const nameBytes = new TextEncoder().encode(name);
    const method = options.deflate ? 8 : 0;
    const headerOffset = this.#offset;
    const localZip64 = this.#forceZip64;
    // A zip64 local header holds both sizes in its extra field: zero here, like the CRC-32, since
    // they follow the data in its descriptor.
    const extraLength = localZip64 ? 20 : 0;
    const header = new Uint8Array(30 + nameBytes.length + extraLength);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0x04034b50, true);
    view.setUint16(4, localZip64 ? zip64Version : classicVersion, true);
    view.setUint16(6, flags, true);
    view.setUint16(8, method, true);
    view.setUint16(10, this.#dosTime, true);
    view.setUint16(12, this.#dosDate, true);
    if (localZip64) {
      view.setUint32(18, 0xffffffff, true);
      view.setUint32(22, 0xffffffff, true);
    }
    view.setUint16(26, nameBytes.length, true);
    view.setUint16(28, extraLength, true);
    header.set(nameBytes, 30);
    if (localZip64) {
      view.setUint16(30 + nameBytes.length, zip64ExtraId, true);
      view.setUint16(32 + nameBytes.length, 16, true);
    }
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
        const zip64Descriptor = localZip64 || size >= classicZipLimits.maxBytes || compressedSize >= classicZipLimits.maxBytes;
        const descriptor = new Uint8Array(zip64Descriptor ? 24 : 16);
        const descriptorView = new DataView(descriptor.buffer);
        descriptorView.setUint32(0, 0x08074b50, true);
        descriptorView.setUint32(4, checksum >>> 0, true);
        if (zip64Descriptor) {
          descriptorView.setBigUint64(8, BigInt(compressedSize), true);
          descriptorView.setBigUint64(16, BigInt(size), true);
        } else {
          descriptorView.setUint32(8, compressedSize, true);
          descriptorView.setUint32(12, size, true);
        }
        this.#write(descriptor);
        this.#record({ nameBytes, method, checksum: checksum >>> 0, compressedSize, size, headerOffset });
        this.#open = false;
      },
    };
  }

  /** Writes the central directory and the end records at once. */
  finish(): void {
    const steps = this.finishing();
    while (!steps.next().done);
  }

  /**
   * Writes the central directory and the end records, pausing after each piece it emits, so a caller
   * that waits for its sink between steps never holds more than one piece of the directory.
   */
  *finishing(): Generator<void, void> {
    if (this.#open) throw new ZipStreamError("zip.entry_open", "the last entry has not ended");
    if (this.#finished) throw new ZipStreamError("zip.finished", "the archive is finished");
    this.#finished = true;
    try {
      const directoryOffset = this.#offset;
      const directoryLength = this.#directory.length;
      for (const piece of this.#directory.pieces()) {
        this.#write(piece);
        yield;
      }
      this.#write(this.#endRecords(directoryOffset, directoryLength));
    } finally {
      this.#directory.close();
    }
  }

  /** Gives the archive up: the central directory's spill file is freed, nothing more is written. */
  discard(): void {
    this.#finished = true;
    this.#directory.close();
  }

  #endRecords(directoryOffset: number, directoryLength: number): Uint8Array {
    const zip64 =
      this.#forceZip64 || this.#entries >= classicZipLimits.maxEntries || directoryLength >= classicZipLimits.maxBytes || directoryOffset >= classicZipLimits.maxBytes;
    const zip64Length = zip64 ? 56 + 20 : 0;
    const records = new Uint8Array(zip64Length + 22);
    const view = new DataView(records.buffer);
    if (zip64) {
      // Zip64 end of central directory record (4.3.14), then its locator (4.3.15).
      const recordOffset = this.#offset;
      view.setUint32(0, 0x06064b50, true);
      view.setBigUint64(4, 44n, true);
      view.setUint16(12, zip64Version, true);
      view.setUint16(14, zip64Version, true);
      view.setBigUint64(24, BigInt(this.#entries), true);
      view.setBigUint64(32, BigInt(this.#entries), true);
      view.setBigUint64(40, BigInt(directoryLength), true);
      view.setBigUint64(48, BigInt(directoryOffset), true);
      view.setUint32(56, 0x07064b50, true);
      view.setBigUint64(64, BigInt(recordOffset), true);
      view.setUint32(72, 1, true);
    }
    // The classic end record; in a zip64 archive its fields read "see the zip64 record".
    const end = zip64Length;
    const entries = zip64 ? 0xffff : this.#entries;
    view.setUint32(end, 0x06054b50, true);
    view.setUint16(end + 8, entries, true);
    view.setUint16(end + 10, entries, true);
    view.setUint32(end + 12, zip64 ? 0xffffffff : directoryLength, true);
    view.setUint32(end + 16, zip64 ? 0xffffffff : directoryOffset, true);
    return records;
  }

  #write(chunk: Uint8Array): void {
    this.#offset += chunk.length;
    this.#emit(chunk);
  }

  #record(entry: CentralEntry): void {
    const force = this.#forceZip64;
    const large = (value: number) => force || value >= classicZipLimits.maxBytes;
    // The zip64 extra field holds, in this order, only the values whose classic field reads 0xFFFFFFFF.
    const wide = [entry.size, entry.compressedSize, entry.headerOffset].map((value) => (large(value) ? value : null));
    const extraValues = wide.filter((value) => value !== null);
    const extraLength = extraValues.length === 0 ? 0 : 4 + 8 * extraValues.length;
    const version = extraLength > 0 ? zip64Version : classicVersion;
    const record = new Uint8Array(46 + entry.nameBytes.length + extraLength);
    const view = new DataView(record.buffer);
    view.setUint32(0, 0x02014b50, true);
    view.setUint16(4, version, true);
    view.setUint16(6, version, true);
    view.setUint16(8, flags, true);
    view.setUint16(10, entry.method, true);
    view.setUint16(12, this.#dosTime, true);
    view.setUint16(14, this.#dosDate, true);
    view.setUint32(16, entry.checksum, true);
    view.setUint32(20, wide[1] === null ? entry.compressedSize : 0xffffffff, true);
    view.setUint32(24, wide[0] === null ? entry.size : 0xffffffff, true);
    view.setUint16(28, entry.nameBytes.length, true);
    view.setUint16(30, extraLength, true);
    // Comment, disk number and attributes: all zero.
    view.setUint32(42, wide[2] === null ? entry.headerOffset : 0xffffffff, true);
    record.set(entry.nameBytes, 46);
    if (extraLength > 0) {
      const extra = 46 + entry.nameBytes.length;
      view.setUint16(extra, zip64ExtraId, true);
      view.setUint16(extra + 2, 8 * extraValues.length, true);
      extraValues.forEach((value, index) => view.setBigUint64(extra + 4 + 8 * index, BigInt(value!), true));
    }
    this.#directory.append(record);
  }
}
