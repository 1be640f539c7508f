import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { asteriskWav } from "../../shared/audio/wav-format.ts";
import { writeFileAtomic } from "../../shared/runtime/files.ts";
import { runCommand } from "../../shared/runtime/process.ts";

/**
 * Real speech for packages: espeak-ng speaks a phrase, ffmpeg converts it to what Asterisk plays
 * (8000 Hz, mono, 16-bit PCM). Phrases are cached as raw PCM, so a package of any size is built
 * by joining a small vocabulary: "Hello Maria. Reference one zero four two."
 */
export interface SpeechSynthesizer {
  /** 16-bit little-endian PCM at 8000 Hz, mono. */
  speak(text: string): Promise<Uint8Array>;
}

export function createSpeechSynthesizer(options: { cacheDirectory: string; voice?: string; wordsPerMinute?: number }): SpeechSynthesizer {
  const voice = options.voice ?? "en-us";
  const speed = options.wordsPerMinute ?? 165;
  mkdirSync(options.cacheDirectory, { recursive: true });
  const pending = new Map<string, Promise<Uint8Array>>();
  return {
    speak(text) {
      const key = createHash("sha256").update(`${voice}|${speed}|${asteriskWav.sampleRate}|${text}`).digest("hex").slice(0, 32);
      const cached = pending.get(key);
      if (cached) return cached;
      const path = join(options.cacheDirectory, `${key}.pcm`);
      const made = existsSync(path) ? Promise.resolve(new Uint8Array(readFileSync(path))) : synthesize(text, voice, speed, path);
      pending.set(key, made);
      return made;
    },
  };
}

async function synthesize(text: string, voice: string, speed: number, cachePath: string): Promise<Uint8Array> {
  const spokenPath = `${cachePath}.${process.pid}.espeak.wav`;
  const pcmPath = `${cachePath}.${process.pid}.pcm`;
  try {
    const spoken = await runCommand("espeak-ng", ["-v", voice, "-s", String(speed), "-w", spokenPath, text]);
    if (spoken.code !== 0) throw new Error(`espeak-ng failed for ${JSON.stringify(text)}: ${spoken.stderr}`);
    const converted = await runCommand("ffmpeg", [
      "-hide_banner", "-loglevel", "error", "-y", "-i", spokenPath,
      "-ar", String(asteriskWav.sampleRate), "-ac", "1", "-f", "s16le", "-acodec", "pcm_s16le", pcmPath,
    ]);
    if (converted.code !== 0) throw new Error(`ffmpeg failed for ${JSON.stringify(text)}: ${converted.stderr}`);
    const pcm = new Uint8Array(readFileSync(pcmPath));
    await writeFileAtomic(cachePath, pcm);
    return pcm;
  } finally {
    rmSync(spokenPath, { force: true });
    rmSync(pcmPath, { force: true });
  }
}

/** Silence of the given length. */
export function silence(milliseconds: number): Uint8Array {
  return new Uint8Array(Math.round((asteriskWav.sampleRate * milliseconds) / 1000) * 2);
}

export function joinPcm(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const output = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    output.set(part, offset);
    offset += part.length;
  }
  return output;
}
