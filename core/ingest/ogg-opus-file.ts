import { oggPageCrc } from "../../shared/audio/ogg-page-crc.ts";

/** What the pages of an OGG/Opus file say about its stream. */
export interface OggOpusFileInfo {
  channels: number;
  /** The rate the audio had before encoding (informational; Opus decodes at 48 kHz or below). */
  inputSampleRate: number;
  pages: number;
  /** Length of the audio from the last page's granule position, minus the encoder's pre-skip. */
  durationMs: number;
  /**
   * Length of the audio the packets decode to, from each packet's TOC byte (RFC 6716 §3.1), minus
   * the pre-skip: what a decoder will really produce, whatever the granule positions claim.
   */
  packetsMs: number;
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
  const packets = createPacketDurationCounter();
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
    packets.addPage(bytes, offset + 27, headerEnd);
    const granule = view.getBigInt64(offset + 6, true);
    if (granule > 0n) lastGranule = granule;
    pages++;
    offset = pageEnd;
  }
  return {
    channels,
    inputSampleRate,
    pages,
    durationMs: Math.max(0, Math.round(Number(lastGranule - BigInt(preSkip)) / 48)),
    packetsMs: Math.max(0, Math.round((packets.samples48k() - preSkip) / 48)),
  };
}

/**
 * Samples at 48 kHz of one Opus frame, by the TOC byte's configuration number (RFC 6716 §3.1):
 * SILK 10, 20, 40, 60 ms; hybrid 10, 20 ms; CELT 2.5, 5, 10, 20 ms. A table, read once per packet.
 */
const frameSamples48k = Uint16Array.from({ length: 32 }, (_, config) => {
  if (config < 12) return [480, 960, 1920, 2880][config % 4]!;
  if (config < 16) return [480, 960][config % 2]!;
  return [120, 240, 480, 960][config % 4]!;
});

/**
 * Adds up what the audio packets of an Ogg Opus stream decode to, page by page: packets are cut by
 * the lacing values (a value under 255 ends one), and the first two (OpusHead, OpusTags) carry no audio.
 */
function createPacketDurationCounter() {
  let packetIndex = 0;
  let packetLength = 0;
  let toc = -1;
  let frameCountByte = -1;
  let samples = 0;
  const endPacket = () => {
    if (packetIndex >= 2 && toc >= 0) {
      const code = toc & 0x03;
      const frames = code === 0 ? 1 : code < 3 ? 2 : frameCountByte >= 0 ? frameCountByte & 0x3f : 0;
      samples += frames * frameSamples48k[toc >> 3]!;
    }
    packetIndex++;
    packetLength = 0;
    toc = -1;
    frameCountByte = -1;
  };
  return {
    addPage(bytes: Uint8Array, lacingStart: number, lacingEnd: number) {
      let payload = lacingEnd;
      for (let index = lacingStart; index < lacingEnd; index++) {
        const lacing = bytes[index]!;
        if (packetLength === 0 && lacing > 0) toc = bytes[payload]!;
        if (packetLength <= 1 && packetLength + lacing > 1) frameCountByte = bytes[payload + 1 - packetLength]!;
        packetLength += lacing;
        payload += lacing;
        if (lacing < 255) endPacket();
      }
    },
    samples48k: () => samples,
  };
}

function asciiAt(bytes: Uint8Array, offset: number, text: string): boolean {
  for (let index = 0; index < text.length; index++) if (bytes[offset + index] !== text.charCodeAt(index)) return false;
  return true;
}
