// Both exports are imported and used: with only one, the bundler drops the other class while the
// package's index still names it, and the compiled binary fails at start with a ReferenceError.
import { OggOpusDecoder, OggOpusDecoderWebWorker } from "ogg-opus-decoder";

/** Decodes OGG/Opus straight to 16 kHz (libopus decodes at that rate natively), mono. */
export interface OpusPcmDecoder {
  /** Decodes the next bytes of a file; returns the mono samples they completed (may be empty). */
  decode(bytes: Uint8Array): Promise<Float32Array>;
  /**
   * Ends the file: returns what was still buffered and how many frames libopus could not decode,
   * and makes the decoder ready for the next file.
   */
  finish(): Promise<{ samples: Float32Array; frameErrors: number }>;
  /** Drops a half-decoded file after an error. */
  reset(): Promise<void>;
  free(): void;
}

interface DecodedAudio {
  channelData: Float32Array[];
  samplesDecoded: number;
  errors: unknown[];
}

export async function createOpusPcmDecoder(): Promise<OpusPcmDecoder> {
  if (typeof OggOpusDecoder !== "function" || typeof OggOpusDecoderWebWorker !== "function") throw new Error("ogg-opus-decoder is incomplete in this build");
  const decoder = new (OggOpusDecoder as unknown as new (options: { sampleRate: number }) => {
    ready: Promise<void>;
    decode(bytes: Uint8Array): Promise<DecodedAudio>;
    flush(): Promise<DecodedAudio>;
    reset(): Promise<void>;
    free(): void;
  })({ sampleRate: 16_000 });
  await decoder.ready;
  let errors = 0;
  const toMono = (decoded: DecodedAudio): Float32Array => {
    errors += decoded.errors.length;
    const [first, ...others] = decoded.channelData;
    if (!first || decoded.samplesDecoded === 0) return new Float32Array(0);
    if (others.length === 0) return first.subarray(0, decoded.samplesDecoded);
    const mono = new Float32Array(decoded.samplesDecoded);
    const channels = decoded.channelData.length;
    for (const channel of decoded.channelData) for (let index = 0; index < mono.length; index++) mono[index]! += channel[index]! / channels;
    return mono;
  };
  return {
    decode: async (bytes) => toMono(await decoder.decode(bytes)),
    async finish() {
      const samples = toMono(await decoder.flush());
      const frameErrors = errors;
      errors = 0;
      return { samples, frameErrors };
    },
    async reset() {
      errors = 0;
      await decoder.reset();
    },
    free: () => decoder.free(),
  };
}

/** Bytes fed to the decoder per step (~5 s of 24 kbps Opus): each step blocks the event loop ~10 ms at most. */
const sliceBytes = 16 * 1024;

/**
 * Decodes an OGG/Opus file, handing each slice's samples to `onSamples` and yielding to the event
 * loop between slices, so a server keeps answering while it decodes. With `untilSamples` it stops
 * once that many samples are out (the rest of the file is not needed). A failed or stopped file
 * leaves the decoder reset and ready for the next one.
 */
export async function decodeFileInSlices(
  decoder: OpusPcmDecoder,
  oggOpus: Uint8Array,
  onSamples: (pcm: Float32Array) => void,
  untilSamples = Number.POSITIVE_INFINITY,
): Promise<{ samples: number; frameErrors: number }> {
  let samples = 0;
  const take = (pcm: Float32Array) => {
    samples += pcm.length;
    if (pcm.length > 0) onSamples(pcm);
  };
  try {
    for (let offset = 0; offset < oggOpus.length; offset += sliceBytes) {
      take(await decoder.decode(oggOpus.subarray(offset, offset + sliceBytes)));
      if (samples >= untilSamples) {
        await decoder.reset();
        return { samples, frameErrors: 0 };
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const rest = await decoder.finish();
    take(rest.samples);
    return { samples, frameErrors: rest.frameErrors };
  } catch (error) {
    await decoder.reset();
    throw error;
  }
}
