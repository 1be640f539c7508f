/** What the pages of an OGG/Opus file say about its stream. */
export interface OggOpusFileInfo {
  channels: number;
  /** The rate the audio had before encoding (informational; Opus decodes at 48 kHz or below). */
  inputSampleRate: number;
  pages: number;
  /** Length of the audio from the last page's granule position, minus the encoder's pre-skip. */
  durationMs: number;
}

/** Ogg's CRC-32 tables (polynomial 0x04C11DB7, not reflected), four of them to take 4 bytes a step. */
const crcTables = (() => {
  const tables = Array.from({ length: 4 }, () => new Uint32Array(256));
  for (let index = 0; index < 256; index++) {
    let crc = index << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    tables[0]![index] = crc >>> 0;
  }
  for (let table = 1; table < 4; table++) {
    for (let index = 0; index < 256; index++) {
      const previous = tables[table - 1]![index]!;
      tables[table]![index] = ((previous << 8) ^ tables[0]![previous >>> 24]!) >>> 0;
    }
  }
  return tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
})();

function crcUpdate(crc: number, bytes: Uint8Array, start: number, end: number): number {
  const [t0, t1, t2, t3] = crcTables;
  let offset = start;
  for (; offset + 4 <= end; offset += 4) {
    crc ^= (bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    crc = t3[crc >>> 24]! ^ t2[(crc >>> 16) & 0xff]! ^ t1[(crc >>> 8) & 0xff]! ^ t0[crc & 0xff]!;
  }
  for (; offset < end; offset++) crc = (crc << 8) ^ t0[((crc >>> 24) ^ bytes[offset]!) & 0xff]!;
  return crc >>> 0;
}

const zeroCrcField = new Uint8Array(4);

/** A page's CRC, computed with its own CRC field (bytes 22–25) read as zero. */
function oggPageCrc(bytes: Uint8Array, start: number, end: number): number {
  let crc = crcUpdate(0, bytes, start, start + 22);
  crc = crcUpdate(crc, zeroCrcField, 0, 4);
  return crcUpdate(crc, bytes, start + 26, end);
}

/**
 * Checks that `bytes` are a whole OGG/Opus file (RFC 3533, RFC 7845): every page complete with a
 * valid CRC, one logical stream, and a first page holding the Opus identification header.
 * Returns what the file says about itself, or why the bytes are not such a file.
 */
export function inspectOggOpusFile(bytes: Uint8Array): OggOpusFileInfo | { problem: string } {
  if (bytes.length < 27 || !asciiAt(bytes, 0, "OggS")) return { problem: "the file is not an Ogg file (no OggS capture pattern)" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let pages = 0;
  let serial = 0;
  let channels = 0;
  let inputSampleRate = 0;
  let preSkip = 0;
  let lastGranule = 0n;
  while (offset < bytes.length) {
    const where = `page ${pages + 1} (byte ${offset})`;
    if (bytes.length - offset < 27) return { problem: `the file is truncated in ${where}` };
    if (!asciiAt(bytes, offset, "OggS")) return { problem: `${where} does not start with OggS: the file is damaged` };
    if (bytes[offset + 4] !== 0) return { problem: `${where} has unsupported Ogg version ${bytes[offset + 4]}` };
    const segmentCount = bytes[offset + 26]!;
    const headerEnd = offset + 27 + segmentCount;
    if (headerEnd > bytes.length) return { problem: `the file is truncated in ${where}` };
    let payloadLength = 0;
    for (let index = offset + 27; index < headerEnd; index++) payloadLength += bytes[index]!;
    const pageEnd = headerEnd + payloadLength;
    if (pageEnd > bytes.length) return { problem: `the file is truncated in ${where}` };
    if (oggPageCrc(bytes, offset, pageEnd) !== view.getUint32(offset + 22, true)) return { problem: `${where} is damaged (CRC mismatch)` };
    const pageSerial = view.getUint32(offset + 14, true);
    if (pages === 0) {
      if ((bytes[offset + 5]! & 0x02) === 0) return { problem: "the first Ogg page does not begin a stream" };
      if (payloadLength < 19 || !asciiAt(bytes, headerEnd, "OpusHead")) return { problem: "the Ogg stream does not carry Opus (no OpusHead)" };
      const version = bytes[headerEnd + 8]!;
      if ((version & 0xf0) !== 0) return { problem: `unsupported OpusHead version ${version}` };
      channels = bytes[headerEnd + 9]!;
      if (channels === 0) return { problem: "the Opus header declares 0 channels" };
      preSkip = view.getUint16(headerEnd + 10, true);
      inputSampleRate = view.getUint32(headerEnd + 12, true);
      serial = pageSerial;
    } else if (pageSerial !== serial) {
      return { problem: `${where} belongs to a second logical stream; one Opus stream per file is expected` };
    }
    const granule = view.getBigInt64(offset + 6, true);
    if (granule > 0n) lastGranule = granule;
    pages++;
    offset = pageEnd;
  }
  return { channels, inputSampleRate, pages, durationMs: Math.max(0, Math.round(Number(lastGranule - BigInt(preSkip)) / 48)) };
}

function asciiAt(bytes: Uint8Array, offset: number, text: string): boolean {
  for (let index = 0; index < text.length; index++) if (bytes[offset + index] !== text.charCodeAt(index)) return false;
  return true;
}
