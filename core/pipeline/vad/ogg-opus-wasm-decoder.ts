import type { OpusPcmDecoder } from "./opus-pcm-decoder.ts";
// Both exports are imported and used: with only one, the bundler drops the other class while the
// package's index still names it, and the compiled binary fails at start with a ReferenceError.
import { OggOpusDecoder, OggOpusDecoderWebWorker } from "ogg-opus-decoder";

interface DecodedAudio {
  channelData: Float32Array[];
  samplesDecoded: number;
  errors: unknown[];
}

/** The WASM decoder; loaded only through `createOpusPcmDecoder`, so the core starts without it. */
export async function createWasmOpusPcmDecoder(): Promise<OpusPcmDecoder> {
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
