import { readFileSync } from "node:fs";
import { writeOggPageCrc } from "../../shared/audio/ogg-page-crc.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";

async function ffmpeg(args: string[]): Promise<void> {
  const result = await runCommand("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args]);
  if (result.code !== 0) throw new Error(`ffmpeg ${args.join(" ")} failed:\n${result.stderr}`);
}

const noiseChunks = new Map<string, Promise<Uint8Array>>();

/** Seconds of pink noise at a quiet level, encoded like a recorder does (OGG/Opus 24 kbps mono); made once per process. */
export function noiseChunk(seconds = 2, options: { channels?: number } = {}): Promise<Uint8Array> {
  const key = `${seconds}/${options.channels ?? 1}`;
  let chunk = noiseChunks.get(key);
  if (!chunk) {
    chunk = encodeNoise(seconds, options.channels ?? 1);
    noiseChunks.set(key, chunk);
  }
  return chunk;
}

async function encodeNoise(seconds: number, channels: number): Promise<Uint8Array> {
  const dir = makeTempDir("salescontrol-audio-");
  try {
    const out = dir.join("noise.ogg");
    await ffmpeg(["-f", "lavfi", "-i", `anoisesrc=color=pink:amplitude=0.01:sample_rate=48000:duration=${seconds}`, "-ac", String(channels), "-c:a", "libopus", "-b:a", "24k", out]);
    return new Uint8Array(readFileSync(out));
  } finally {
    dir.remove();
  }
}

export interface SpokenSentence {
  text: string;
  voice: string;
}

export interface PlacedSpeech {
  text: string;
  startMs: number;
  endMs: number;
}

/**
 * A spoken sentence as 16 kHz mono PCM, trimmed of espeak-ng's leading and trailing silence so
 * that its length is the speech itself.
 */
export async function speakSentence(dir: TempDir, sentence: SpokenSentence, index: number): Promise<{ path: string; durationMs: number }> {
  const raw = dir.join(`sentence-${index}.wav`);
  const spoken = await runCommand("espeak-ng", ["-v", sentence.voice, "-s", "160", "-w", raw, sentence.text]);
  if (spoken.code !== 0) throw new Error(`espeak-ng failed: ${spoken.stderr}`);
  const trimmed = dir.join(`sentence-${index}-trimmed.wav`);
  const trim = "silenceremove=start_periods=1:start_threshold=-45dB,areverse,silenceremove=start_periods=1:start_threshold=-45dB,areverse";
  await ffmpeg(["-i", raw, "-af", trim, "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", trimmed]);
  const bytes = readFileSync(trimmed).length - 44;
  return { path: trimmed, durationMs: Math.round((bytes / 2 / 16000) * 1000) };
}

/** Mixes sentences at their start offsets over pink noise into one 48 kHz mono WAV of `durationMs`. */
export async function mixOverNoise(dir: TempDir, durationMs: number, placed: Array<{ path: string; startMs: number }>): Promise<string> {
  const out = dir.join("mix.wav");
  const inputs = placed.flatMap((item) => ["-i", item.path]);
  const delays = placed.map((item, index) => `[${index + 1}:a]aresample=48000,adelay=${item.startMs}:all=1[s${index}]`);
  const mix = `[0:a]${placed.map((_, index) => `[s${index}]`).join("")}amix=inputs=${placed.length + 1}:duration=first:normalize=0[m]`;
  await ffmpeg([
    "-f", "lavfi", "-i", `anoisesrc=color=pink:amplitude=0.015:sample_rate=48000:duration=${durationMs / 1000}`,
    ...inputs,
    "-filter_complex", [...delays, mix].join(";"),
    "-map", "[m]", "-ac", "1", "-c:a", "pcm_s16le", out,
  ]);
  return out;
}

/** One chunk of a longer recording, cut and encoded the way the recorder's segment muxer does. */
export async function encodeChunk(dir: TempDir, wavPath: string, fromMs: number, durationMs: number, name: string): Promise<Uint8Array> {
  const out = dir.join(`${name}.ogg`);
  await ffmpeg(["-ss", String(fromMs / 1000), "-t", String(durationMs / 1000), "-i", wavPath, "-ac", "1", "-c:a", "libopus", "-b:a", "24k", out]);
  return new Uint8Array(readFileSync(out));
}

/** A chunk with one spoken sentence starting at `atMs` over noise, and the sentence's span. */
export async function speechChunk(options: { seconds: number; atMs: number; text?: string }): Promise<{ bytes: Uint8Array; speech: PlacedSpeech }> {
  const text = options.text ?? "Would you like to add a coffee to your order today?";
  const { bytes, speech } = await conversationChunk({ seconds: options.seconds, sentences: [{ text, voice: "en-us", atMs: options.atMs }] });
  return { bytes, speech: speech[0]! };
}

/** A chunk with sentences spoken (by different voices if wished) at their offsets over noise, and their spans. */
export async function conversationChunk(options: { seconds: number; sentences: Array<SpokenSentence & { atMs: number }> }): Promise<{ bytes: Uint8Array; speech: PlacedSpeech[] }> {
  const dir = makeTempDir("salescontrol-audio-");
  try {
    const spoken = await Promise.all(options.sentences.map((sentence, index) => speakSentence(dir, sentence, index)));
    const recording = await mixOverNoise(dir, options.seconds * 1000, spoken.map((item, index) => ({ path: item.path, startMs: options.sentences[index]!.atMs })));
    const bytes = await encodeChunk(dir, recording, 0, options.seconds * 1000, "speech");
    return { bytes, speech: options.sentences.map((sentence, index) => ({ text: sentence.text, startMs: sentence.atMs, endMs: sentence.atMs + spoken[index]!.durationMs })) };
  } finally {
    dir.remove();
  }
}

/** Sentences spoken one after another (seller and customer taking turns), with pauses, then silence: one chunk. */
export async function turnTakingChunk(options: { sentences: SpokenSentence[]; leadMs: number; pauseMs: number; trailingMs: number }): Promise<{ bytes: Uint8Array; durationMs: number; speech: PlacedSpeech[] }> {
  const dir = makeTempDir("salescontrol-audio-");
  try {
    const spoken = await Promise.all(options.sentences.map((sentence, index) => speakSentence(dir, sentence, index)));
    const speech: PlacedSpeech[] = [];
    let at = options.leadMs;
    for (const [index, sentence] of spoken.entries()) {
      speech.push({ text: options.sentences[index]!.text, startMs: at, endMs: at + sentence.durationMs });
      at += sentence.durationMs + options.pauseMs;
    }
    const durationMs = at - options.pauseMs + options.trailingMs;
    const recording = await mixOverNoise(dir, durationMs, spoken.map((item, index) => ({ path: item.path, startMs: speech[index]!.startMs })));
    return { bytes: await encodeChunk(dir, recording, 0, durationMs, "turns"), durationMs, speech };
  } finally {
    dir.remove();
  }
}

/** Only the first two pages (OpusHead, OpusTags) of an OGG/Opus file: a whole file with no audio in it. */
export function headerPagesOnly(oggOpus: Uint8Array): Uint8Array {
  let offset = 0;
  for (let page = 0; page < 2; page++) {
    const segments = oggOpus[offset + 26]!;
    let payload = 0;
    for (let index = 0; index < segments; index++) payload += oggOpus[offset + 27 + index]!;
    offset += 27 + segments + payload;
  }
  return oggOpus.slice(0, offset);
}

/** A 2-byte Opus packet (TOC: CELT 20 ms, code 3; six empty frames) that decodes to 120 ms of concealment. */
const bombPacket = [0xfb, 0x06];

/**
 * An audio bomb: a whole, valid OGG/Opus file (the header pages of `template`, then pages of 2-byte
 * packets that each decode to 120 ms) holding `audioSeconds` of audio in a few bytes per packet.
 * The granule positions tell the truth unless `claimedSeconds` makes them lie.
 */
export function opusBomb(template: Uint8Array, audioSeconds: number, options: { claimedSeconds?: number } = {}): Uint8Array {
  const header = headerPagesOnly(template);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const serial = view.getUint32(14, true);
  // OpusHead starts after the first page's 27-byte header and its one lacing value; pre-skip is at +10.
  const preSkip = view.getUint16(28 + 10, true);
  const packets = Math.ceil((audioSeconds * 1000) / 120);
  const granuleScale = (options.claimedSeconds ?? audioSeconds) / audioSeconds;
  const pages: Uint8Array[] = [header];
  let sequence = 2;
  for (let done = 0; done < packets; ) {
    const count = Math.min(255, packets - done);
    done += count;
    const page = new Uint8Array(27 + count + count * bombPacket.length);
    const pageView = new DataView(page.buffer);
    page.set([0x4f, 0x67, 0x67, 0x53], 0);
    page[5] = done === packets ? 0x04 : 0;
    pageView.setBigInt64(6, BigInt(Math.round(done * 5760 * granuleScale) + preSkip), true);
    pageView.setUint32(14, serial, true);
    pageView.setUint32(18, sequence++, true);
    page[26] = count;
    page.fill(bombPacket.length, 27, 27 + count);
    for (let index = 0; index < count; index++) page.set(bombPacket, 27 + count + index * bombPacket.length);
    writeOggPageCrc(page, 0, page.length);
    pages.push(page);
  }
  const bytes = new Uint8Array(pages.reduce((total, page) => total + page.length, 0));
  let offset = 0;
  for (const page of pages) {
    bytes.set(page, offset);
    offset += page.length;
  }
  return bytes;
}
