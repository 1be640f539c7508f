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
export function oggPageCrc(bytes: Uint8Array, start: number, end: number): number {
  let crc = crcUpdate(0, bytes, start, start + 22);
  crc = crcUpdate(crc, zeroCrcField, 0, 4);
  return crcUpdate(crc, bytes, start + 26, end);
}

/** Stores a page's CRC after its bytes changed (e.g. the end-of-stream flag was set). */
export function writeOggPageCrc(bytes: Uint8Array, start: number, end: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(start + 22, oggPageCrc(bytes, start, end), true);
}
