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

/** A decoded sample (−1…1) as a 16-bit PCM value: rounded, and clamped where Opus overshoots. */
export function pcm16SampleOf(sample: number): number {
  const scaled = Math.round(sample * 32768);
  return scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
}

export async function createOpusPcmDecoder(): Promise<OpusPcmDecoder> {
  return (await import("./ogg-opus-wasm-decoder.ts")).createWasmOpusPcmDecoder();
}

/** Decoders for concurrent work, created on first use (a core that never decodes never loads one). */
export interface OpusPcmDecoderPool {
  use<T>(work: (decoder: OpusPcmDecoder) => Promise<T>): Promise<T>;
  free(): void;
}

export function createOpusPcmDecoderPool(): OpusPcmDecoderPool {
  const created: OpusPcmDecoder[] = [];
  const idle: OpusPcmDecoder[] = [];
  return {
    async use(work) {
      let decoder = idle.pop();
      if (!decoder) {
        decoder = await createOpusPcmDecoder();
        created.push(decoder);
      }
      try {
        return await work(decoder);
      } finally {
        idle.push(decoder);
      }
    },
    free() {
      for (const decoder of created) decoder.free();
      created.length = 0;
      idle.length = 0;
    },
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
