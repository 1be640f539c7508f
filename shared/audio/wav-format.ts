/**
 * RIFF/WAVE headers: reading them from the first bytes of a file, checking them against what
 * Asterisk (under VICIdial) plays, and writing them for PCM audio.
 */

/** Asterisk plays `.wav` only as RIFF PCM, mono, 16-bit, 8000 Hz (`.wav16` is the 16 kHz variant). */
export const asteriskWav = { sampleRate: 8000, channels: 1, bitsPerSample: 16 } as const;

export interface WavFormat {
  /** 1 = PCM, 3 = IEEE float, 6 = A-law, 7 = µ-law, 0xfffe = extensible. */
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
  byteRate: number;
  /** Offset of the first sample byte in the file. */
  dataOffset: number;
  dataBytes: number;
  durationMs: number;
}

export type WavHeaderInspection =
  | { status: "ok"; format: WavFormat }
  /** The header continues past the bytes given; call again with more. */
  | { status: "need_more" }
  | { status: "invalid"; reason: string };

/** A header larger than this is not a header anyone writes for speech. */
export const maxWavHeaderBytes = 1024 * 1024;

const formatNames: Record<number, string> = { 1: "PCM", 3: "IEEE float", 6: "A-law", 7: "µ-law", 0x11: "IMA ADPCM", 0x55: "MPEG Layer 3", 0xfffe: "extensible" };

/**
 * Reads the RIFF/WAVE header from the start of a file whose total size is `fileSize`.
 * `bytes` may be a prefix of the file; the answer is "need_more" until the data chunk is reached.
 */
export function inspectWavHeader(bytes: Uint8Array, fileSize: number): WavHeaderInspection {
  if (bytes.length < 12) {
    if (bytes.length >= fileSize) return { status: "invalid", reason: `only ${fileSize} bytes long, too short for a WAV header` };
    return { status: "need_more" };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riff = ascii(bytes, 0, 4);
  if (riff !== "RIFF" || ascii(bytes, 8, 4) !== "WAVE") {
    if (riff === "RIFF") return { status: "invalid", reason: `a RIFF file of type "${ascii(bytes, 8, 4)}", not WAVE` };
    if (riff === "RF64") return { status: "invalid", reason: "an RF64 (64-bit RIFF) file; Asterisk reads only plain RIFF WAVE" };
    const other = sniffAudioContainer(bytes);
    return { status: "invalid", reason: other ? `${other}, not a RIFF/WAVE file` : "not a RIFF/WAVE file (it does not start with RIFF…WAVE)" };
  }
  const riffSize = view.getUint32(4, true);
  if (riffSize + 8 > fileSize + 1) {
    return { status: "invalid", reason: `the RIFF header declares ${riffSize + 8} bytes but the file has ${fileSize}: the file is truncated` };
  }
  // One byte either way is a pad byte counted or not; anything more is a damaged header or bytes appended after the audio.
  if (riffSize + 8 < fileSize - 1) {
    return { status: "invalid", reason: `a file whose RIFF header declares ${riffSize + 8} bytes although the file has ${fileSize}: the header is damaged or bytes were appended` };
  }

  let offset = 12;
  let format: Omit<WavFormat, "dataOffset" | "dataBytes" | "durationMs"> | null = null;
  while (true) {
    if (offset + 8 > bytes.length) {
      if (offset + 8 > fileSize) return { status: "invalid", reason: format ? "no data chunk" : "no fmt chunk" };
      return offset + 8 > maxWavHeaderBytes ? { status: "invalid", reason: `no data chunk in the first ${maxWavHeaderBytes} bytes` } : { status: "need_more" };
    }
    const id = ascii(bytes, offset, 4);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "data") {
      if (!format) return { status: "invalid", reason: "the data chunk comes before the fmt chunk" };
      if (size === 0xffffffff || size === 0) {
        return { status: "invalid", reason: size === 0 ? "the data chunk is empty (no audio)" : "the data chunk size is unset (written by a streaming encoder that never finalised the header)" };
      }
      if (body + size > fileSize) return { status: "invalid", reason: `the data chunk declares ${size} bytes but only ${fileSize - body} follow: the file is truncated` };
      const durationMs = format.byteRate > 0 ? Math.round((size / format.byteRate) * 1000) : 0;
      return { status: "ok", format: { ...format, dataOffset: body, dataBytes: size, durationMs } };
    }
    if (id === "fmt ") {
      if (size < 16) return { status: "invalid", reason: `the fmt chunk is ${size} bytes, shorter than the 16 a WAV needs` };
      if (body + 16 > bytes.length) return body + 16 > fileSize ? { status: "invalid", reason: "the fmt chunk is truncated" } : { status: "need_more" };
      let formatTag = view.getUint16(body, true);
      if (formatTag === 0xfffe && size >= 40 && body + 40 <= bytes.length) formatTag = view.getUint16(body + 24, true) === 1 ? 0xfffe : view.getUint16(body + 24, true);
      format = {
        formatTag,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        byteRate: view.getUint32(body + 8, true),
        blockAlign: view.getUint16(body + 12, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    }
    // Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
    offset = body + size + (size % 2);
    if (offset > fileSize) return { status: "invalid", reason: `the "${id.replace(/[^\x20-\x7e]/g, "?")}" chunk runs past the end of the file` };
  }
}

/** Null when Asterisk plays the format as a `.wav`; otherwise what is wrong, in words. */
export function asteriskWavProblem(format: WavFormat): string | null {
  const problems: string[] = [];
  if (format.formatTag !== 1) problems.push(`${formatNames[format.formatTag] ?? `format ${format.formatTag}`} encoding instead of PCM`);
  if (format.sampleRate !== asteriskWav.sampleRate) problems.push(`${format.sampleRate} Hz instead of ${asteriskWav.sampleRate} Hz`);
  if (format.channels !== asteriskWav.channels) problems.push(`${format.channels === 2 ? "stereo" : `${format.channels} channels`} instead of mono`);
  if (format.bitsPerSample !== asteriskWav.bitsPerSample) problems.push(`${format.bitsPerSample}-bit instead of 16-bit samples`);
  if (problems.length === 0) {
    if (format.blockAlign !== 2 || format.byteRate !== 16000) problems.push(`an inconsistent fmt chunk (block align ${format.blockAlign}, byte rate ${format.byteRate})`);
    else if (format.dataBytes % 2 !== 0) problems.push("an odd number of data bytes for 16-bit samples");
  }
  return problems.length === 0 ? null : problems.join(", ");
}

/**
 * Recognises common audio files by their first bytes, to say what a misnamed file really is.
 * `frameSync` also matches headerless MPEG frames (0xFFEx), which raw µ-law audio can begin with.
 */
export function sniffAudioContainer(bytes: Uint8Array, options: { frameSync?: boolean } = {}): string | null {
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === "RIFF") return ascii(bytes, 8, 4) === "WAVE" ? "a WAV file" : "a RIFF file";
  if (bytes.length >= 3 && ascii(bytes, 0, 3) === "ID3") return "an MP3 file";
  if ((options.frameSync ?? true) && bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0) return (bytes[1]! & 0x06) === 0 ? "an AAC (ADTS) file" : "an MP3 file";
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === "OggS") return "an Ogg file";
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === "fLaC") return "a FLAC file";
  if (bytes.length >= 8 && ascii(bytes, 4, 4) === "ftyp") return "an MP4/M4A file";
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === ".snd") return "a Sun/NeXT .au file";
  if (bytes.length >= 4 && ascii(bytes, 0, 4) === "FORM") return "an AIFF file";
  if (bytes.length >= 4 && bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return "a WebM/Matroska file";
  return null;
}

/** A canonical 44-byte PCM WAV header followed by `samples` (16-bit little-endian). */
export function encodePcmWav(samples: Uint8Array, options: { sampleRate: number; channels: number } = { sampleRate: asteriskWav.sampleRate, channels: 1 }): Uint8Array {
  const output = new Uint8Array(44 + samples.length);
  const view = new DataView(output.buffer);
  output.set(new TextEncoder().encode("RIFF"), 0);
  view.setUint32(4, 36 + samples.length, true);
  output.set(new TextEncoder().encode("WAVEfmt "), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, options.channels, true);
  view.setUint32(24, options.sampleRate, true);
  view.setUint32(28, options.sampleRate * options.channels * 2, true);
  view.setUint16(32, options.channels * 2, true);
  view.setUint16(34, 16, true);
  output.set(new TextEncoder().encode("data"), 36);
  view.setUint32(40, samples.length, true);
  output.set(samples, 44);
  return output;
}

/** G.711 µ-law encoding of 16-bit little-endian PCM: what a `.ulaw` sibling holds. */
export function encodeMuLaw(pcm16: Uint8Array): Uint8Array {
  const view = new DataView(pcm16.buffer, pcm16.byteOffset, pcm16.byteLength);
  const output = new Uint8Array(Math.floor(pcm16.length / 2));
  for (let index = 0; index < output.length; index++) {
    let sample = view.getInt16(index * 2, true);
    const sign = sample < 0 ? 0x80 : 0;
    if (sample < 0) sample = -sample;
    sample = Math.min(sample, 32635) + 0x84;
    let exponent = 7;
    for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
    const mantissa = (sample >> (exponent + 3)) & 0x0f;
    output[index] = ~(sign | (exponent << 4) | mantissa) & 0xff;
  }
  return output;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  let text = "";
  for (let index = offset; index < offset + length && index < bytes.length; index++) text += String.fromCharCode(bytes[index]!);
  return text;
}
