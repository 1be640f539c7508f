import { readFileSync } from "node:fs";
import createFvadModule from "@echogarden/fvad-wasm/fvad.js";
import { embeddedFilePath } from "../../../shared/runtime/embedded-file.ts";
import { frameSamples } from "./speech-collector.ts";

interface FvadModule {
  HEAP16: Int16Array;
  _fvad_new(): number;
  _fvad_free(instance: number): void;
  _fvad_set_mode(instance: number, mode: number): number;
  _fvad_set_sample_rate(instance: number, rate: number): number;
  _fvad_process(instance: number, frame: number, length: number): number;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** libfvad (the WebRTC VAD) classifying 30 ms frames of 16 kHz mono PCM. */
export interface VoiceActivityDetector {
  /** Whether the frame (480 samples) holds speech. */
  isSpeech(frame: Int16Array): boolean;
  free(): void;
}

let modulePromise: Promise<FvadModule> | null = null;

function loadFvadModule(): Promise<FvadModule> {
  modulePromise ??= embeddedFilePath({
    loadEmbedded: () => import("./fvad-wasm.embedded.ts"),
    installedAt: () => new URL("./fvad.wasm", import.meta.resolve("@echogarden/fvad-wasm/fvad.js")).href,
  }).then((wasmPath) =>
    (createFvadModule as unknown as (options: { wasmBinary: Uint8Array }) => Promise<FvadModule>)({
      wasmBinary: new Uint8Array(readFileSync(wasmPath)),
    }),
  );
  return modulePromise;
}

/** Mode 3 is libfvad's most aggressive: it calls the least noise speech. */
export async function createVoiceActivityDetector(mode: 0 | 1 | 2 | 3 = 3): Promise<VoiceActivityDetector> {
  const fvad = await loadFvadModule();
  const instance = fvad._fvad_new();
  if (instance === 0) throw new Error("libfvad could not allocate a detector");
  if (fvad._fvad_set_mode(instance, mode) !== 0 || fvad._fvad_set_sample_rate(instance, 16_000) !== 0) {
    fvad._fvad_free(instance);
    throw new Error("libfvad refused mode or sample rate");
  }
  const buffer = fvad._malloc(frameSamples * 2);
  return {
    isSpeech(frame) {
      // HEAP16 is re-read each call: the view is replaced if WASM memory ever grows.
      fvad.HEAP16.set(frame, buffer >> 1);
      const verdict = fvad._fvad_process(instance, buffer, frameSamples);
      if (verdict < 0) throw new Error("libfvad rejected a frame");
      return verdict === 1;
    },
    free() {
      fvad._free(buffer);
      fvad._fvad_free(instance);
    },
  };
}
