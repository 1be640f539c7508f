import { renameSync } from "node:fs";
import { OggOpusDecoder } from "ogg-opus-decoder";
import { runCommand } from "../../shared/runtime/process.ts";

/**
 * Encodes `seconds` of a tone (or silence) as mono Ogg Opus with real ffmpeg. `segment` writes it
 * through the segment muxer as the recorder does, which leaves out the end-of-stream flag.
 */
export async function encodeOpusFile(path: string, seconds: number, options: { silent?: boolean; segment?: boolean } = {}): Promise<void> {
  const source = options.silent ? "anullsrc=r=48000:cl=mono" : "sine=frequency=440:sample_rate=48000";
  const template = `${path}.%03d`;
  const output = options.segment ? ["-f", "segment", "-segment_time", "3600", "-segment_format", "ogg", "-reset_timestamps", "1", template] : ["-f", "ogg", "-y", path];
  const result = await runCommand("ffmpeg", ["-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi", "-i", source, "-t", String(seconds), "-map", "0:a", "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "24k", ...output]);
  if (result.code !== 0) throw new Error(`ffmpeg could not encode ${path}: ${result.stderr}`);
  if (options.segment) renameSync(template.replace("%03d", "000"), path);
}

export interface DecodedChunk {
  samples: number;
  errors: number;
}

/** Decodes with the same WASM decoder the core uses: proves a chunk is a valid Ogg Opus file. */
export async function decodeOggOpus(bytes: Uint8Array): Promise<DecodedChunk> {
  const decoder = new OggOpusDecoder();
  await decoder.ready;
  try {
    const decoded = await decoder.decodeFile(bytes);
    return { samples: decoded.samplesDecoded, errors: decoded.errors.length };
  } finally {
    decoder.free();
  }
}
