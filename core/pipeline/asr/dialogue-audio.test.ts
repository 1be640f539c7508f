import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import type { AsrJobPayload } from "../../../shared/contracts/asr-jobs.ts";
import { headerPagesOnly, noiseChunk, speechChunk } from "../../testing/test-audio.ts";
import { createOpusPcmDecoder, type OpusPcmDecoder, pcm16SampleOf } from "../vad/opus-pcm-decoder.ts";
import { UndecodableAudioError } from "../vad/speech-analyzer.ts";
import { ChunkAudioMissingError, type ChunkAudioSource } from "../chunk-audio-source.ts";
import { assembleDialogueAudio, dialogueMsAt } from "./dialogue-audio.ts";

let decoder: OpusPcmDecoder;
let speech: Uint8Array;
let noise: Uint8Array;
beforeAll(async () => {
  decoder = await createOpusPcmDecoder();
  speech = (await speechChunk({ seconds: 4, atMs: 500, text: "How much is it?" })).bytes;
  noise = await noiseChunk(4);
});
afterAll(() => decoder.free());

const chunkA = randomUUID();
const chunkB = randomUUID();
const aStart = Date.UTC(2026, 0, 15, 9, 0, 0);
const bStart = aStart + 4000;

/** Chunks from memory, counting reads. */
function memorySource(chunks: Record<string, Uint8Array>) {
  const reads: string[] = [];
  const source: ChunkAudioSource = {
    async read(chunkId) {
      reads.push(chunkId);
      const bytes = chunks[chunkId];
      if (!bytes) throw new ChunkAudioMissingError(`chunk ${chunkId} is no longer stored`);
      return bytes;
    },
  };
  return { source, reads };
}

// Speech 1000 ms, a 500 ms pause, speech 500 ms, a 2500 ms pause (kept as 1000 ms), then 2000 ms in the next chunk.
const payload: AsrJobPayload = {
  dialogue_id: randomUUID(),
  revision: 1,
  start_ts: aStart + 500,
  segments: [
    { chunk_id: chunkB, start_ts: bStart + 1000, offset_start_ms: 1000, offset_end_ms: 3000 },
    { chunk_id: chunkA, start_ts: aStart + 500, offset_start_ms: 500, offset_end_ms: 1500 },
    { chunk_id: chunkA, start_ts: aStart + 2000, offset_start_ms: 2000, offset_end_ms: 2500 },
  ],
};

function samplesOf(wav: Uint8Array): Int16Array {
  return new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.byteLength));
}

describe("assembling a dialogue's audio", () => {
  test("cuts the segments out of their chunks in time order, shortens long pauses, and decodes each chunk once", async () => {
    const { source, reads } = memorySource({ [chunkA]: speech, [chunkB]: noise });
    const audio = await assembleDialogueAudio(payload, source, decoder);
    expect(reads.sort()).toEqual([chunkA, chunkB].sort());
    expect(audio.audioMs).toBe(5000);
    expect(audio.parts).toHaveLength(1);
    const [part] = audio.parts;
    const wav = part!.wav;
    expect(String.fromCharCode(...wav.subarray(0, 4))).toBe("RIFF");
    const view = new DataView(wav.buffer, wav.byteOffset);
    expect([view.getUint16(20, true), view.getUint16(22, true), view.getUint32(24, true), view.getUint16(34, true)]).toEqual([1, 1, 16_000, 16]);
    expect(view.getUint32(40, true)).toBe(5000 * 32);
    expect(part!.pieces).toEqual([
      { partStartMs: 0, dialogueStartMs: 0, durationMs: 1000 },
      { partStartMs: 1500, dialogueStartMs: 1500, durationMs: 500 },
      { partStartMs: 3000, dialogueStartMs: 4500, durationMs: 2000 },
    ]);
    const samples = samplesOf(wav);
    const energy = (fromMs: number, toMs: number) => samples.subarray(fromMs * 16, toMs * 16).reduce((sum, sample) => sum + Math.abs(sample), 0);
    expect(energy(1000, 1500)).toBe(0);
    expect(energy(2000, 3000)).toBe(0);
    // The spoken sentence starts at 500 ms in chunk A: the first piece holds speech, far louder than the noise piece.
    expect(energy(0, 1000) / 1000).toBeGreaterThan((energy(3000, 5000) / 2000) * 3);
  });

  test("decoded samples become 16-bit PCM: rounded to the nearest step, clamped where Opus overshoots", () => {
    expect([0, 1, -1, 1.25, -1.25, 0.6 / 32768, -0.6 / 32768, 100.4 / 32768].map(pcm16SampleOf)).toEqual([0, 32767, -32768, 32767, -32768, 1, -1, 100]);
  });

  test("maps times in the assembled audio back to the dialogue; a pause maps to the speech after it", () => {
    const pieces = [
      { partStartMs: 0, dialogueStartMs: 0, durationMs: 1000 },
      { partStartMs: 1500, dialogueStartMs: 1500, durationMs: 500 },
      { partStartMs: 3000, dialogueStartMs: 4500, durationMs: 2000 },
    ];
    expect([0, 600, 1200, 1600, 2600, 3500, 5000, 9000].map((ms) => dialogueMsAt(pieces, ms))).toEqual([0, 600, 1500, 1600, 4500, 5000, 6500, 6500]);
    expect(dialogueMsAt([], 100)).toBe(0);
  });

  test("splits into parts no longer than the limit, between segments where it can and inside one where it must", async () => {
    const { source } = memorySource({ [chunkA]: speech, [chunkB]: noise });
    const atSegments = await assembleDialogueAudio(payload, source, decoder, { partMs: 2000 });
    expect(atSegments.parts.map((part) => part.durationMs)).toEqual([2000, 2000]);
    expect(atSegments.parts[1]!.pieces).toEqual([{ partStartMs: 0, dialogueStartMs: 4500, durationMs: 2000 }]);
    const inside = await assembleDialogueAudio(payload, source, decoder, { partMs: 600 });
    expect(inside.parts.every((part) => part.durationMs <= 600)).toBe(true);
    const speechMs = inside.parts.flatMap((part) => part.pieces).reduce((total, piece) => total + piece.durationMs, 0);
    expect(speechMs).toBe(3500);
    expect(inside.parts.flatMap((part) => part.pieces).map((piece) => piece.dialogueStartMs)).toEqual([0, 600, 1500, 4500, 5100, 5700, 6300]);
  });

  test("a chunk that is gone or holds no audio fails with its own error, naming the chunk", async () => {
    const missing = memorySource({ [chunkA]: speech });
    await expect(assembleDialogueAudio(payload, missing.source, decoder)).rejects.toBeInstanceOf(ChunkAudioMissingError);
    const broken = memorySource({ [chunkA]: speech, [chunkB]: headerPagesOnly(noise) });
    const error = await assembleDialogueAudio(payload, broken.source, decoder).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UndecodableAudioError);
    expect((error as Error).message).toBe(`chunk ${chunkB}: the file holds no audio`);
    // The decoder is ready for the next dialogue.
    expect((await assembleDialogueAudio(payload, memorySource({ [chunkA]: speech, [chunkB]: noise }).source, decoder)).audioMs).toBe(5000);
  });
});
