import { type FileHandle, open } from "node:fs/promises";
import { crc32 } from "node:zlib";
import { Inflate } from "fflate";
import { assertSafeRelativePath, UnsafePathError } from "../../shared/runtime/safe-path.ts";
import { reject } from "./import-problem.ts";

/**
 * Reads a zip without trusting it: every central-directory entry is checked (names, types, sizes,
 * ratio, overlaps) before any data is inflated, then entries stream through fflate with their size,
 * CRC-32 and an output cap enforced while inflating, so memory stays bounded whatever the zip holds.
 */

export interface ZipLimits {
  maxEntries: number;
  /** Sum of the declared uncompressed sizes. */
  maxTotalUncompressedBytes: number;
  maxCompressionRatio: number;
  compressionRatioFloorBytes: number;
}

export interface ZipEntry {
  name: string;
  isDirectory: boolean;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  localHeaderOffset: number;
  /** Where the next entry's local header (or the central directory) begins: data must end before it. */
  boundary: number;
}

export interface ZipArchive {
  readonly path: string;
  readonly fileSize: number;
  readonly entries: readonly ZipEntry[];
  readonly byName: ReadonlyMap<string, ZipEntry>;
  /**
   * Streams an entry's uncompressed bytes to `onChunk` (awaited: back-pressure), verifying its
   * size and CRC-32. Chunks are at most a few hundred KB.
   */
  readEntry(entry: ZipEntry, onChunk: (chunk: Uint8Array) => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}

const readChunkBytes = 64 * 1024;
// A deflate block expands at most ~1032×; small input pieces bound what one push can allocate.
const inflatePieceBytes = 16 * 1024;
const maxCommentBytes = 0xffff;

export async function openZipArchive(path: string, limits: ZipLimits): Promise<ZipArchive> {
  const handle = await open(path, "r");
  try {
    const fileSize = (await handle.stat()).size;
    const directory = await readCentralDirectoryLocation(handle, fileSize);
    const entries = await readCentralDirectory(handle, directory, limits);
    const byName = new Map<string, ZipEntry>();
    for (const entry of entries) {
      const key = entry.isDirectory ? entry.name.replace(/\/+$/, "") : entry.name;
      if (byName.has(key)) reject("zip.duplicate_entry", `the zip holds ${entry.name} twice`, { file: entry.name });
      byName.set(key, entry);
    }
    assignBoundaries(entries, directory.offset);
    return {
      path,
      fileSize,
      entries,
      byName,
      readEntry: (entry, onChunk) => readEntryData(handle, entry, onChunk),
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

interface DirectoryLocation {
  offset: number;
  size: number;
  count: number;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

async function readCentralDirectoryLocation(handle: FileHandle, fileSize: number): Promise<DirectoryLocation> {
  if (fileSize < 22) reject("zip.not_a_zip", `the file is ${fileSize} bytes long: not a zip archive`);
  const tailLength = Math.min(fileSize, 22 + maxCommentBytes);
  const tailStart = fileSize - tailLength;
  const tail = await readAt(handle, tailStart, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let index = tail.length - 22; index >= 0; index--) {
    if (view.getUint32(index, true) === 0x06054b50 && index + 22 + view.getUint16(index + 20, true) === tail.length) {
      eocd = index;
      break;
    }
  }
  if (eocd < 0) {
    const head = await readAt(handle, 0, 4);
    const looksLikeZip = head.length === 4 && new DataView(head.buffer).getUint32(0, true) === 0x04034b50;
    reject("zip.not_a_zip", looksLikeZip ? "the zip is truncated: its central directory is missing (was the upload cut short?)" : "not a zip archive");
  }
  const diskNumber = view.getUint16(eocd + 4, true);
  const directoryDisk = view.getUint16(eocd + 6, true);
  const countOnDisk = view.getUint16(eocd + 8, true);
  const count = view.getUint16(eocd + 10, true);
  const size = view.getUint32(eocd + 12, true);
  const offset = view.getUint32(eocd + 16, true);
  if (diskNumber !== 0 || directoryDisk !== 0) reject("zip.unsupported", "split (multi-volume) zip archives are not supported");
  if (countOnDisk !== count) reject("zip.corrupt", `the end record counts ${countOnDisk} entries on this disk but ${count} in all`);
  const endStart = tailStart + eocd;
  const locator = endStart >= 20 ? await readAt(handle, endStart - 20, 20) : new Uint8Array(0);
  const hasLocator = locator.length === 20 && new DataView(locator.buffer).getUint32(0, true) === 0x07064b50;
  // A classic archive of exactly 65,535 entries has a count of 0xFFFF and no zip64 record.
  const needsZip64 = size === 0xffffffff || offset === 0xffffffff || (count === 0xffff && hasLocator);
  const directory = needsZip64 ? await readZip64End(handle, { count, size, offset }, endStart, locator, hasLocator) : { offset, size, count, end: endStart };
  if (directory.offset + directory.size > directory.end) {
    reject("zip.corrupt", directory.end === endStart && directory.offset + directory.size > fileSize ? "the central directory points past the end of the file (truncated upload?)" : "the central directory overlaps the end records");
  }
  return { offset: directory.offset, size: directory.size, count: directory.count };
}

/** The zip64 end of central directory record (APPNOTE 4.3.14) through its locator (4.3.15), checked against the classic end record. */
async function readZip64End(
  handle: FileHandle,
  classic: { count: number; size: number; offset: number },
  endStart: number,
  locator: Uint8Array,
  hasLocator: boolean,
): Promise<DirectoryLocation & { end: number }> {
  if (!hasLocator) reject("zip.corrupt", "the end record says the zip is zip64 but the zip64 end-of-directory locator is missing");
  const locatorView = new DataView(locator.buffer);
  const locatorStart = endStart - 20;
  if (locatorView.getUint32(4, true) !== 0 || locatorView.getUint32(16, true) > 1) reject("zip.unsupported", "split (multi-volume) zip archives are not supported");
  const recordOffset = safeNumber(locatorView.getBigUint64(8, true));
  if (recordOffset + 56 > locatorStart) reject("zip.corrupt", `the zip64 end-of-directory locator points to offset ${recordOffset}, past where its record can be`);
  const record = await readAt(handle, recordOffset, 56);
  const recordView = new DataView(record.buffer);
  if (record.length < 56 || recordView.getUint32(0, true) !== 0x06064b50) reject("zip.corrupt", "the zip64 end-of-directory record is missing");
  const recordLength = safeNumber(recordView.getBigUint64(4, true));
  if (recordLength < 44 || recordOffset + 12 + recordLength !== locatorStart) reject("zip.corrupt", "the zip64 end-of-directory record's length does not reach its locator");
  if (recordView.getUint32(16, true) !== 0 || recordView.getUint32(20, true) !== 0) reject("zip.unsupported", "split (multi-volume) zip archives are not supported");
  const countOnDisk = safeNumber(recordView.getBigUint64(24, true));
  const count = safeNumber(recordView.getBigUint64(32, true));
  const size = safeNumber(recordView.getBigUint64(40, true));
  const offset = safeNumber(recordView.getBigUint64(48, true));
  if (countOnDisk !== count) reject("zip.corrupt", `the zip64 end record counts ${countOnDisk} entries on this disk but ${count} in all`);
  // A classic field that is not "see zip64" must say what the zip64 record says.
  if ((classic.count !== 0xffff && classic.count !== count) || (classic.size !== 0xffffffff && classic.size !== size) || (classic.offset !== 0xffffffff && classic.offset !== offset)) {
    reject("zip.corrupt", `the end records disagree: the classic one declares ${classic.count} entries in ${classic.size} bytes at ${classic.offset}, the zip64 one ${count} entries in ${size} bytes at ${offset}`);
  }
  return { offset, size, count, end: recordOffset };
}

function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) reject("zip.corrupt", "a zip64 size or offset is absurdly large");
  return Number(value);
}

async function readCentralDirectory(handle: FileHandle, directory: DirectoryLocation, limits: ZipLimits): Promise<ZipEntry[]> {
  if (directory.count > limits.maxEntries) reject("zip.too_many_entries", `the zip holds ${directory.count} entries; a package may hold at most ${limits.maxEntries}`);
  // 46 fixed bytes per record plus a name, extra field and comment of at most 64 KiB each.
  if (directory.size > directory.count * (46 + 3 * 0xffff)) reject("zip.corrupt", "the central directory is larger than its entries can be");
  if (directory.count * 46 > directory.size) reject("zip.corrupt", `the end record declares ${directory.count} entries; a central directory of ${directory.size} bytes holds at most ${Math.floor(directory.size / 46)}`);
  const reader = new SequentialReader(handle, directory.offset, directory.size);
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let totalUncompressed = 0;
  for (let index = 0; index < directory.count; index++) {
    if (reader.remaining < 46) reject("zip.corrupt", `the end record declares ${directory.count} entries but the central directory ends after ${index}`);
    const fixed = await reader.take(46);
    const view = new DataView(fixed.buffer, fixed.byteOffset, 46);
    if (view.getUint32(0, true) !== 0x02014b50) reject("zip.corrupt", `central directory record ${index + 1} is damaged`);
    const versionMadeBy = view.getUint16(4, true);
    const flags = view.getUint16(8, true);
    const method = view.getUint16(10, true);
    const crc = view.getUint32(16, true);
    let compressedSize = view.getUint32(20, true);
    let uncompressedSize = view.getUint32(24, true);
    const nameLength = view.getUint16(28, true);
    const extraLength = view.getUint16(30, true);
    const commentLength = view.getUint16(32, true);
    const diskStart = view.getUint16(34, true);
    const externalAttributes = view.getUint32(38, true);
    let localHeaderOffset = view.getUint32(42, true);
    const nameBytes = await reader.take(nameLength);
    const extra = await reader.take(extraLength);
    await reader.take(commentLength);

    let name: string;
    try {
      name = decoder.decode(nameBytes);
    } catch {
      reject("zip.bad_file_name", `entry ${index + 1} has a file name that is not UTF-8`);
    }
    checkEntryName(name);
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localHeaderOffset === 0xffffffff || diskStart === 0xffff) {
      const zip64 = readZip64Extra(
        extra,
        { uncompressed: uncompressedSize === 0xffffffff, compressed: compressedSize === 0xffffffff, offset: localHeaderOffset === 0xffffffff, disk: diskStart === 0xffff },
        name,
      );
      uncompressedSize = zip64.uncompressed ?? uncompressedSize;
      compressedSize = zip64.compressed ?? compressedSize;
      localHeaderOffset = zip64.offset ?? localHeaderOffset;
      if ((zip64.disk ?? 0) !== 0) reject("zip.unsupported", `${name} starts on disk ${zip64.disk}: split (multi-volume) zip archives are not supported`, { file: name });
    } else if (diskStart !== 0) {
      reject("zip.unsupported", `${name} starts on disk ${diskStart}: split (multi-volume) zip archives are not supported`, { file: name });
    }
    if (flags & 0x1) reject("zip.encrypted", `${name} is encrypted; packages must not be`, { file: name });
    const unixType = versionMadeBy >> 8 === 3 || versionMadeBy >> 8 === 19 ? (externalAttributes >>> 16) & 0o170000 : 0;
    if (unixType === 0o120000) reject("zip.symlink", `${name} is a symbolic link; a package holds only regular files`, { file: name });
    const isDirectory = name.endsWith("/") || unixType === 0o040000 || (externalAttributes & 0x10) !== 0;
    if (unixType !== 0 && unixType !== 0o100000 && unixType !== 0o040000) reject("zip.special_file", `${name} is a device, socket or pipe, not a regular file`, { file: name });
    if (!isDirectory && method !== 0 && method !== 8) reject("zip.unsupported_compression", `${name} uses compression method ${method}; only stored (0) and deflate (8) are read`, { file: name });
    if (isDirectory && uncompressedSize !== 0) reject("zip.corrupt", `directory entry ${name} carries data`, { file: name });
    if (method === 0 && compressedSize !== uncompressedSize) reject("zip.corrupt", `${name} is stored uncompressed but its sizes differ (${compressedSize} vs ${uncompressedSize})`, { file: name });
    if (localHeaderOffset + 30 + nameLength > directory.offset) reject("zip.corrupt", `${name} points into the central directory`, { file: name });
    if (uncompressedSize > limits.compressionRatioFloorBytes && uncompressedSize > compressedSize * limits.maxCompressionRatio) {
      const ratio = compressedSize === 0 ? "infinite" : `${Math.round(uncompressedSize / compressedSize)}:1`;
      reject("zip.compression_ratio", `${name} would expand from ${compressedSize} to ${uncompressedSize} bytes (${ratio}); more than ${limits.maxCompressionRatio}:1 is refused as a zip bomb`, { file: name });
    }
    totalUncompressed += uncompressedSize;
    if (totalUncompressed > limits.maxTotalUncompressedBytes) {
      reject("zip.too_large", `the package expands to more than ${limits.maxTotalUncompressedBytes} bytes, the configured limit (MAX_PACKAGE_UNCOMPRESSED_BYTES)`);
    }
    entries.push({ name, isDirectory, method, compressedSize, uncompressedSize, crc32: crc, localHeaderOffset, boundary: directory.offset });
  }
  // Records past the declared count would be entries that one reader sees and another does not.
  if (reader.remaining > 0) reject("zip.corrupt", `the central directory holds more than the ${directory.count} entries its end record declares (${reader.remaining} bytes left over)`);
  return entries;
}

function checkEntryName(name: string): void {
  const trimmed = name.endsWith("/") ? name.slice(0, -1) : name;
  try {
    assertSafeRelativePath(trimmed);
  } catch (error) {
    if (error instanceof UnsafePathError) reject("zip.unsafe_path", `entry ${JSON.stringify(name)} ${error.reason}; a package holds only relative paths inside itself`, { file: name });
    throw error;
  }
  if (trimmed.split("/").some((segment) => segment === "" || segment === ".")) {
    reject("zip.unsafe_path", `entry ${JSON.stringify(name)} has an empty or "." path segment`, { file: name });
  }
}

/** The zip64 extended information extra field (APPNOTE 4.5.3): only the values whose classic field reads 0xFFFFFFFF (0xFFFF for the disk), in order. */
function readZip64Extra(extra: Uint8Array, needs: { uncompressed: boolean; compressed: boolean; offset: boolean; disk: boolean }, name: string) {
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  for (let position = 0; position + 4 <= extra.length; ) {
    const id = view.getUint16(position, true);
    const size = view.getUint16(position + 2, true);
    const end = position + 4 + size;
    if (end > extra.length) reject("zip.corrupt", `${name} has an extra field that runs past its end`, { file: name });
    if (id === 0x0001) {
      let cursor = position + 4;
      const next = (bytes: 8 | 4) => {
        if (cursor + bytes > end) reject("zip.corrupt", `${name} has a short zip64 extra field`, { file: name });
        const value = bytes === 8 ? safeNumber(view.getBigUint64(cursor, true)) : view.getUint32(cursor, true);
        cursor += bytes;
        return value;
      };
      return {
        uncompressed: needs.uncompressed ? next(8) : undefined,
        compressed: needs.compressed ? next(8) : undefined,
        offset: needs.offset ? next(8) : undefined,
        disk: needs.disk ? next(4) : undefined,
      };
    }
    position = end;
  }
  return reject("zip.corrupt", `${name} needs a zip64 extra field and has none`, { file: name });
}

/** Each entry's data must end before the next entry begins: overlapping entries are a known zip-bomb trick. */
function assignBoundaries(entries: ZipEntry[], directoryOffset: number): void {
  const ordered = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let index = 0; index < ordered.length; index++) {
    const entry = ordered[index]!;
    const next = ordered[index + 1];
    if (next && next.localHeaderOffset === entry.localHeaderOffset) {
      reject("zip.overlapping_entries", `${entry.name} and ${next.name} share the same data; overlapping entries are refused`, { file: next.name });
    }
    entry.boundary = next ? next.localHeaderOffset : directoryOffset;
    if (entry.localHeaderOffset + 30 + entry.compressedSize > entry.boundary) {
      reject("zip.overlapping_entries", `${entry.name} overlaps the entry after it`, { file: entry.name });
    }
  }
}

async function readEntryData(handle: FileHandle, entry: ZipEntry, onChunk: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
  if (entry.isDirectory) return;
  const header = await readAt(handle, entry.localHeaderOffset, 30);
  const view = new DataView(header.buffer);
  if (header.length < 30 || view.getUint32(0, true) !== 0x04034b50) reject("zip.corrupt", `the local header of ${entry.name} is damaged`, { file: entry.name });
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  const localName = new TextDecoder().decode(await readAt(handle, entry.localHeaderOffset + 30, nameLength));
  // Tools that read local headers would see a different file than we validated.
  if (localName !== entry.name) reject("zip.name_mismatch", `the local header of ${entry.name} names ${JSON.stringify(localName)}`, { file: entry.name });
  const dataStart = entry.localHeaderOffset + 30 + nameLength + extraLength;
  if (dataStart + entry.compressedSize > entry.boundary) reject("zip.overlapping_entries", `${entry.name} overlaps the entry after it`, { file: entry.name });

  let produced = 0;
  let checksum = 0;
  const accept = async (chunk: Uint8Array) => {
    produced += chunk.length;
    if (produced > entry.uncompressedSize) {
      reject("zip.size_mismatch", `${entry.name} inflates to more than the ${entry.uncompressedSize} bytes its header declares (zip bomb?)`, { file: entry.name });
    }
    checksum = crc32(chunk, checksum);
    await onChunk(chunk);
  };

  const pending: Uint8Array[] = [];
  let inflater: Inflate | null = null;
  if (entry.method === 8) {
    inflater = new Inflate((chunk) => {
      if (chunk.length > 0) pending.push(chunk);
    });
  }
  for (let position = 0; position < entry.compressedSize; ) {
    const length = Math.min(readChunkBytes, entry.compressedSize - position);
    const chunk = await readAt(handle, dataStart + position, length);
    if (chunk.length < length) reject("zip.corrupt", `${entry.name} is cut short`, { file: entry.name });
    position += length;
    if (!inflater) {
      await accept(chunk);
      continue;
    }
    for (let piece = 0; piece < chunk.length; piece += inflatePieceBytes) {
      const last = position === entry.compressedSize && piece + inflatePieceBytes >= chunk.length;
      try {
        inflater.push(chunk.subarray(piece, piece + inflatePieceBytes), last);
      } catch (error) {
        reject("zip.corrupt_entry", `${entry.name} does not inflate: ${(error as Error).message}`, { file: entry.name });
      }
      while (pending.length > 0) await accept(pending.shift()!);
    }
  }
  if (inflater && entry.compressedSize === 0) reject("zip.corrupt_entry", `${entry.name} is deflated but holds no data`, { file: entry.name });
  if (produced !== entry.uncompressedSize) {
    reject("zip.size_mismatch", `${entry.name} holds ${produced} bytes; its header declares ${entry.uncompressedSize}`, { file: entry.name });
  }
  if (checksum >>> 0 !== entry.crc32 >>> 0) reject("zip.crc_mismatch", `${entry.name} fails its CRC-32 check: the archive is damaged`, { file: entry.name });
}

/** Reads a byte range front to back in large blocks, handing out small slices. */
class SequentialReader {
  #buffer = new Uint8Array(0);
  #offset = 0;
  #position: number;
  readonly #end: number;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    length: number,
  ) {
    this.#position = start;
    this.#end = start + length;
  }

  /** Bytes not yet handed out. */
  get remaining(): number {
    return this.#buffer.length - this.#offset + (this.#end - this.#position);
  }

  async take(length: number): Promise<Uint8Array> {
    if (this.#offset + length > this.#buffer.length) {
      const remaining = this.#buffer.subarray(this.#offset);
      const want = Math.max(length - remaining.length, 256 * 1024);
      const readable = Math.min(want, this.#end - this.#position);
      if (remaining.length + readable < length) reject("zip.corrupt", "the central directory is truncated");
      const fresh = await readAt(this.handle, this.#position, readable);
      this.#position += fresh.length;
      const combined = new Uint8Array(remaining.length + fresh.length);
      combined.set(remaining);
      combined.set(fresh, remaining.length);
      this.#buffer = combined;
      this.#offset = 0;
    }
    const slice = this.#buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return slice;
  }
}
