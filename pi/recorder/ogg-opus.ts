/**
 * Just enough of Ogg (RFC 3533) and Ogg Opus (RFC 7845) to measure a chunk exactly and to repair
 * one that was cut off (ffmpeg killed, power cut): keep the pages whose checksum holds, drop a
 * trailing page that ends mid-packet, and mark the last page end-of-stream.
 */
import { oggPageCrc, writeOggPageCrc } from "../../shared/audio/ogg-page-crc.ts";

const headerBytes = 27;
const flagEndOfStream = 0x04;
const opusGranuleRate = 48_000;

export interface OggOpusInfo {
  /** Whole file is well-formed: every page checks out and the last one ends the stream. */
  complete: boolean;
  /** Bytes up to the end of the last page that checks out. */
  validLength: number;
  channels: number;
  preSkip: number;
  /** Decodable samples at 48 kHz (granule of the last page minus the pre-skip). */
  audioSamples: number;
  /** Why the file is not complete, when it is not. */
  problem: string | null;
}

interface Page {
  offset: number;
  length: number;
  flags: number;
  granule: bigint;
  serial: number;
  /** The page's last packet continues on the next page. */
  endsMidPacket: boolean;
  body: Uint8Array;
}

export class NotOggOpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotOggOpusError";
  }
}

/** Reads the pages of an Ogg Opus file; throws NotOggOpusError when it does not start as one. */
export function inspectOggOpus(bytes: Uint8Array): OggOpusInfo {
  const { pages, problem } = readPages(bytes);
  return describePages(pages, problem);
}

function describePages(pages: Page[], problem: string | null): OggOpusInfo {
  const head = pages[0];
  if (!head || !startsWith(head.body, "OpusHead") || head.body.length < 19) throw new NotOggOpusError("does not start with an OpusHead page");
  const channels = head.body[9]!;
  const preSkip = head.body[10]! | (head.body[11]! << 8);
  let lastGranule = 0n;
  for (const page of pages) if (page.granule >= 0n && page.serial === head.serial) lastGranule = page.granule;
  const last = pages[pages.length - 1]!;
  const ended = (last.flags & flagEndOfStream) !== 0;
  return {
    complete: problem === null && ended,
    validLength: last.offset + last.length,
    channels,
    preSkip,
    audioSamples: Math.max(0, Number(lastGranule) - preSkip),
    problem: problem ?? (ended ? null : "the last page does not end the stream"),
  };
}

/** Audio length in milliseconds, from the sample count. */
export function audioDurationMs(info: OggOpusInfo): number {
  return (info.audioSamples * 1000) / opusGranuleRate;
}

/**
 * A well-formed copy of a cut-off file: the pages that check out, without a last page that ends
 * mid-packet, the last one flagged end-of-stream (checksum recomputed), with its description.
 * Returns the input itself when it is already complete.
 */
export function repairOggOpus(bytes: Uint8Array): { bytes: Uint8Array; info: OggOpusInfo } {
  const read = readPages(bytes);
  const info = describePages(read.pages, read.problem);
  if (info.complete) return { bytes, info };
  let { pages } = read;
  while (pages.length > 1 && pages[pages.length - 1]!.endsMidPacket) pages = pages.slice(0, -1);
  const last = pages[pages.length - 1]!;
  const repaired = bytes.slice(0, last.offset + last.length);
  repaired[last.offset + 5] = repaired[last.offset + 5]! | flagEndOfStream;
  writeOggPageCrc(repaired, last.offset, last.offset + last.length);
  pages = [...pages.slice(0, -1), { ...last, flags: repaired[last.offset + 5]! }];
  return { bytes: repaired, info: describePages(pages, null) };
}

function readPages(bytes: Uint8Array): { pages: Page[]; problem: string | null } {
  const pages: Page[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < headerBytes) return { pages, problem: `truncated page header at byte ${offset}` };
    if (!startsWith(bytes.subarray(offset), "OggS") || bytes[offset + 4] !== 0) return { pages, problem: `no Ogg page at byte ${offset}` };
    const segmentCount = bytes[offset + 26]!;
    const tableEnd = offset + headerBytes + segmentCount;
    if (tableEnd > bytes.length) return { pages, problem: `truncated page at byte ${offset}` };
    let bodyLength = 0;
    for (let index = offset + headerBytes; index < tableEnd; index++) bodyLength += bytes[index]!;
    const length = headerBytes + segmentCount + bodyLength;
    if (offset + length > bytes.length) return { pages, problem: `truncated page at byte ${offset}` };
    const stored = view.getUint32(offset + 22, true);
    if (oggPageCrc(bytes, offset, offset + length) !== stored) return { pages, problem: `checksum mismatch in the page at byte ${offset}` };
    pages.push({
      offset,
      length,
      flags: bytes[offset + 5]!,
      granule: view.getBigInt64(offset + 6, true),
      serial: view.getUint32(offset + 14, true),
      endsMidPacket: segmentCount > 0 && bytes[tableEnd - 1] === 255,
      body: bytes.subarray(tableEnd, offset + length),
    });
    offset += length;
  }
  if (pages.length === 0) return { pages, problem: "empty file" };
  return { pages, problem: null };
}

function startsWith(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let index = 0; index < text.length; index++) if (bytes[index] !== text.charCodeAt(index)) return false;
  return true;
}
