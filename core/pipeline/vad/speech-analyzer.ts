import { maxSpanDisagreementMs } from "../../../shared/contracts/chunk-upload.ts";
import { maxVadAudioMs, type VadJobResult } from "../../../shared/contracts/vad-jobs.ts";
import { inspectOggOpusFile } from "../../ingest/ogg-opus-file.ts";
import type { VoiceActivityDetector } from "./fvad.ts";
import { createOpusPcmDecoder, decodeFileInSlices, type OpusPcmDecoder, pcm16SampleOf } from "./opus-pcm-decoder.ts";
import { createSpeechCollector, defaultSpeechCollectorOptions, frameSamples, type SpeechCollectorOptions } from "./speech-collector.ts";

export class UndecodableAudioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UndecodableAudioError";
  }
}

/** The audio runs past what its chunk declares (an audio bomb, or a recorder with broken times): never decoded to its end. */
export class AudioLongerThanDeclaredError extends UndecodableAudioError {
  constructor(message: string) {
    super(message);
    this.name = "AudioLongerThanDeclaredError";
  }
}

/**
 * The most audio a chunk declared start..end may decode to: its span plus the tolerance ingest
 * allows, and never more than the longest chunk's.
 */
export function audioBoundOf(chunk: { start_ts: number; end_ts: number }): number {
  const spanMs = Math.max(0, chunk.end_ts - chunk.start_ts);
  return Math.min(spanMs + maxSpanDisagreementMs(spanMs), maxVadAudioMs);
}

/**
 * Decoder and detector kept alive between chunks. Analysing a chunk yields to the event loop
 * between slices, so uploads keep being answered while a chunk is searched for speech.
 */
export interface SpeechAnalyzer {
  /**
   * Finds the speech in a chunk whose audio may last at most `maxAudioMs` (see `audioBoundOf`):
   * a file whose packets say more is refused before decoding, and decoding stops once past it.
   */
  analyze(oggOpus: Uint8Array, maxAudioMs: number): Promise<VadJobResult>;
  free(): void;
}

export async function createSpeechAnalyzer(options: SpeechCollectorOptions = defaultSpeechCollectorOptions): Promise<SpeechAnalyzer> {
  // The WASM decoder and detector are loaded with the first chunk, not when the core starts.
  const { createVoiceActivityDetector } = await import("./fvad.ts");
  const decoder: OpusPcmDecoder = await createOpusPcmDecoder();
  const detector: VoiceActivityDetector = await createVoiceActivityDetector(3);
  const frame = new Int16Array(frameSamples);
  let busy = false;

  return {
    async analyze(oggOpus, maxAudioMs) {
      if (busy) throw new Error("a speech analyzer handles one chunk at a time");
      const file = inspectOggOpusFile(oggOpus);
      if (!("problem" in file) && file.packetsMs > maxAudioMs) {
        throw new AudioLongerThanDeclaredError(`the file's Opus packets hold ${file.packetsMs} ms of audio, more than the ${maxAudioMs} ms its chunk's times allow; not decoded`);
      }
      busy = true;
      const collector = createSpeechCollector(options);
      let filled = 0;
      const feed = (pcm: Float32Array) => {
        for (let index = 0; index < pcm.length; index++) {
          frame[filled++] = pcm16SampleOf(pcm[index]!);
          if (filled === frameSamples) {
            collector.push(detector.isSpeech(frame));
            filled = 0;
          }
        }
      };
      try {
        const untilSamples = maxAudioMs * 16 + 1;
        const { samples } = await decodeWholeFile(decoder, oggOpus, feed, untilSamples);
        if (samples >= untilSamples) {
          throw new AudioLongerThanDeclaredError(`the audio runs past the ${maxAudioMs} ms its chunk's times allow; decoding stopped there`);
        }
        const spans = collector.finish();
        return { audio_ms: Math.floor(samples / 16), segments: spans.map((span) => ({ start_ms: span.startMs, end_ms: span.endMs })) };
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

/** Decodes a recorder file (up to `untilSamples`), or says why it cannot be: no audio at all is as useless as broken audio. */
export async function decodeWholeFile(decoder: OpusPcmDecoder, oggOpus: Uint8Array, onSamples: (pcm: Float32Array) => void, untilSamples?: number): Promise<{ samples: number }> {
  let decoded: { samples: number; frameErrors: number };
  try {
    decoded = await decodeFileInSlices(decoder, oggOpus, onSamples, untilSamples);
  } catch (error) {
    throw new UndecodableAudioError(`the OGG/Opus data cannot be decoded: ${(error as Error).message}`);
  }
  if (decoded.samples === 0) throw new UndecodableAudioError(decoded.frameErrors > 0 ? `none of the audio could be decoded (${decoded.frameErrors} bad frames)` : "the file holds no audio");
  return decoded;
}
