import type { VadJobResult } from "../../../shared/contracts/vad-jobs.ts";
import type { VoiceActivityDetector } from "./fvad.ts";
import type { OpusPcmDecoder } from "./opus-pcm-decoder.ts";
import { createSpeechCollector, defaultSpeechCollectorOptions, frameSamples, type SpeechCollectorOptions } from "./speech-collector.ts";

/** Bytes fed to the decoder per step (~5 s of 24 kbps Opus): each step blocks the event loop ~10 ms at most. */
const sliceBytes = 16 * 1024;

export class UndecodableAudioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UndecodableAudioError";
  }
}

/**
 * Decoder and detector kept alive between chunks. Analysing a chunk yields to the event loop
 * between slices, so uploads keep being answered while a chunk is searched for speech.
 */
export interface SpeechAnalyzer {
  analyze(oggOpus: Uint8Array): Promise<VadJobResult>;
  free(): void;
}

export async function createSpeechAnalyzer(options: SpeechCollectorOptions = defaultSpeechCollectorOptions): Promise<SpeechAnalyzer> {
  // The WASM decoder and detector are loaded with the first chunk, not when the core starts.
  const [{ createOpusPcmDecoder }, { createVoiceActivityDetector }] = await Promise.all([import("./opus-pcm-decoder.ts"), import("./fvad.ts")]);
  const decoder: OpusPcmDecoder = await createOpusPcmDecoder();
  const detector: VoiceActivityDetector = await createVoiceActivityDetector(3);
  const frame = new Int16Array(frameSamples);
  let busy = false;

  return {
    async analyze(oggOpus) {
      if (busy) throw new Error("a speech analyzer handles one chunk at a time");
      busy = true;
      const collector = createSpeechCollector(options);
      let filled = 0;
      let samples = 0;
      const feed = (pcm: Float32Array) => {
        samples += pcm.length;
        for (let index = 0; index < pcm.length; index++) {
          const scaled = pcm[index]! * 32768;
          frame[filled++] = scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
          if (filled === frameSamples) {
            collector.push(detector.isSpeech(frame));
            filled = 0;
          }
        }
      };
      try {
        for (let offset = 0; offset < oggOpus.length; offset += sliceBytes) {
          feed(await decoder.decode(oggOpus.subarray(offset, offset + sliceBytes)));
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const rest = await decoder.finish();
        feed(rest.samples);
        if (samples === 0) throw new UndecodableAudioError(rest.frameErrors > 0 ? `none of the audio could be decoded (${rest.frameErrors} bad frames)` : "the file holds no audio");
        const spans = collector.finish();
        return { audio_ms: Math.floor(samples / 16), segments: spans.map((span) => ({ start_ms: span.startMs, end_ms: span.endMs })) };
      } catch (error) {
        await decoder.reset();
        if (error instanceof UndecodableAudioError) throw error;
        throw new UndecodableAudioError(`the OGG/Opus data cannot be decoded: ${(error as Error).message}`);
      } finally {
        busy = false;
      }
    },
    free() {
      decoder.free();
      detector.free();
    },
  };
}
