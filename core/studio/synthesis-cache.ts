import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { asteriskWav, encodeMuLaw, encodePcmWav } from "../../shared/audio/wav-format.ts";
import { temporarySiblingPath, writeFileAtomic } from "../../shared/runtime/files.ts";
import { convertToAsteriskPcm, studioLoudness } from "./asterisk-audio.ts";
import type { SpeechProvider, SpeechRequest } from "./speech-provider.ts";

/**
 * Speech as Asterisk plays it, synthesised once per (provider, voice, language, text) and shared:
 * a 10,000-lead campaign whose offer line is the same for everyone speaks it once. Files live under
 * `<directory>/<2 hex>/<key>.wav` (and `.ulaw`), written atomically, so a crash leaves no half file.
 */
export interface SynthesizedSpeech {
  key: string;
  wavPath: string;
  /** The G.711 µ-law sibling, when asked for. */
  ulawPath: string | null;
  durationMs: number;
  /** False when the audio came from the cache. */
  synthesized: boolean;
}

export interface SynthesisCache {
  speak(request: SpeechRequest, options?: { ulaw?: boolean; signal?: AbortSignal }): Promise<SynthesizedSpeech>;
  /** The key a request is cached under. */
  keyOf(request: SpeechRequest): string;
  counts(): { synthesized: number; reused: number };
}

/** Changes whenever the conversion changes, so old audio is not served as new. */
const conversionVersion = `asterisk-pcm-8k:${studioLoudness.targetLufs}:${studioLoudness.peakLimit}:1`;

export function createSynthesisCache(options: { directory: string; provider: SpeechProvider }): SynthesisCache {
  const { directory, provider } = options;
  const inFlight = new Map<string, Promise<SynthesizedSpeech>>();
  let synthesized = 0;
  let reused = 0;

  const keyOf = (request: SpeechRequest) =>
    createHash("sha256").update(JSON.stringify([conversionVersion, provider.id, provider.voiceFor(request), request.language, request.text.normalize("NFC")])).digest("hex");

  async function produce(request: SpeechRequest, key: string, ulaw: boolean, signal?: AbortSignal): Promise<SynthesizedSpeech> {
    const files = clipFilesOf(directory, key);
    const folder = dirname(files.wavPath);
    const wavPath = files.wavPath;
    const ulawPath = ulaw ? files.ulawPath : null;
    if (existsSync(wavPath)) {
      if (ulawPath) await ensureUlawSibling({ wavPath, ulawPath });
      reused++;
      return { key, wavPath, ulawPath, durationMs: pcmDurationMs((await stat(wavPath)).size - 44), synthesized: false };
    }
    await mkdir(folder, { recursive: true });
    const spokenPath = temporarySiblingPath(join(folder, `${key}.spoken`));
    const pcmPath = temporarySiblingPath(join(folder, `${key}.pcm`));
    try {
      await provider.synthesize({ ...request, voice: provider.voiceFor(request) }, spokenPath, signal);
      await convertToAsteriskPcm(spokenPath, pcmPath);
      const pcm = new Uint8Array(await readFile(pcmPath));
      if (ulawPath) await writeFileAtomic(ulawPath, encodeMuLaw(pcm));
      // The .wav is written last: its presence means the entry is complete.
      await writeFileAtomic(wavPath, encodePcmWav(pcm));
      synthesized++;
      return { key, wavPath, ulawPath, durationMs: pcmDurationMs(pcm.length), synthesized: true };
    } finally {
      await rm(spokenPath, { force: true });
      await rm(pcmPath, { force: true });
    }
  }

  return {
    keyOf,
    counts: () => ({ synthesized, reused }),
    speak(request, speakOptions = {}) {
      const key = keyOf(request);
      const ulaw = speakOptions.ulaw ?? false;
      const flightKey = `${key}:${ulaw}`;
      const running = inFlight.get(flightKey);
      if (running) {
        reused++;
        return running.then((speech) => ({ ...speech, synthesized: false }));
      }
      const made = produce(request, key, ulaw, speakOptions.signal).finally(() => inFlight.delete(flightKey));
      inFlight.set(flightKey, made);
      return made;
    },
  };
}

/** Where the cache in `directory` keeps the clip with this key (the .wav exists once it is complete). */
export function clipFilesOf(directory: string, key: string): { wavPath: string; ulawPath: string } {
  const folder = join(directory, key.slice(0, 2));
  return { wavPath: join(folder, `${key}.wav`), ulawPath: join(folder, `${key}.ulaw`) };
}

/** Writes a clip's G.711 µ-law sibling from its WAV, unless it exists already. */
export async function ensureUlawSibling(files: { wavPath: string; ulawPath: string }): Promise<void> {
  if (!existsSync(files.ulawPath)) await writeFileAtomic(files.ulawPath, encodeMuLaw(pcmOfWav(await readFile(files.wavPath))));
}

/** The samples of a canonical 44-byte-header WAV, as this cache writes them. */
function pcmOfWav(wav: Uint8Array): Uint8Array {
  return wav.subarray(44);
}

function pcmDurationMs(pcmBytes: number): number {
  return Math.round((pcmBytes / 2 / asteriskWav.sampleRate) * 1000);
}
