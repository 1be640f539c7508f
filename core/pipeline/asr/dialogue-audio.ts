import { encodePcmWav } from "../../../shared/audio/wav-format.ts";
import type { AsrJobPayload } from "../../../shared/contracts/asr-jobs.ts";
import type { ChunkAudioSource } from "../chunk-audio-source.ts";
import { type OpusPcmDecoder, pcm16SampleOf } from "../vad/opus-pcm-decoder.ts";
import { decodeWholeFile, UndecodableAudioError } from "../vad/speech-analyzer.ts";

export const transcriptionSampleRate = 16_000;
const samplesPerMs = transcriptionSampleRate / 1000;
/** Pause kept between two stretches of speech: words stay apart, and Whisper-style models do not invent words in long silence. */
const maxPauseMs = 1000;
/** Longest audio sent in one request: 10 minutes of 16 kHz 16-bit WAV is 19 MB, under OpenAI's 25 MB upload limit. */
export const maxPartMs = 600_000;

/** A stretch of speech inside a part: where it sits in the part and in the dialogue. */
export interface AudioPiece {
  partStartMs: number;
  dialogueStartMs: number;
  durationMs: number;
}

export interface AudioPart {
  /** 16 kHz mono 16-bit WAV. */
  wav: Uint8Array;
  durationMs: number;
  pieces: AudioPiece[];
}

/**
 * The dialogue's audio: each speech segment (pre-roll included) cut from its decoded chunk, in
 * time order, with the pauses between them shortened, split into parts no longer than `partMs`.
 * Each chunk is decoded once, only as far as its last segment, and dropped after it.
 */
export async function assembleDialogueAudio(
  payload: AsrJobPayload,
  source: ChunkAudioSource,
  decoder: OpusPcmDecoder,
  options: { partMs?: number } = {},
): Promise<{ parts: AudioPart[]; audioMs: number }> {
  const partSamples = (options.partMs ?? maxPartMs) * samplesPerMs;
  const segments = [...payload.segments].sort((a, b) => a.start_ts - b.start_ts || a.offset_start_ms - b.offset_start_ms);
  const lastUse = new Map<string, number>();
  const neededMs = new Map<string, number>();
  segments.forEach((segment, index) => {
    lastUse.set(segment.chunk_id, index);
    neededMs.set(segment.chunk_id, Math.max(neededMs.get(segment.chunk_id) ?? 0, segment.offset_end_ms));
  });
  const decoded = new Map<string, Float32Array>();

  const parts: AudioPart[] = [];
  let buffers: Float32Array[] = [];
  let pieces: AudioPiece[] = [];
  let filled = 0;
  let previousEndMs: number | null = null;
  const finishPart = () => {
    if (filled === 0) return;
    const pcm16 = new Uint8Array(filled * 2);
    const view = new DataView(pcm16.buffer);
    let offset = 0;
    for (const buffer of buffers) {
      for (const sample of buffer) {
        view.setInt16(offset, pcm16SampleOf(sample), true);
        offset += 2;
      }
    }
    parts.push({ wav: encodePcmWav(pcm16, { sampleRate: transcriptionSampleRate, channels: 1 }), durationMs: filled / samplesPerMs, pieces });
    buffers = [];
    pieces = [];
    filled = 0;
  };

  for (const [index, segment] of segments.entries()) {
    let pcm = decoded.get(segment.chunk_id);
    if (!pcm) {
      pcm = await decodeChunk(decoder, await source.read(segment.chunk_id), neededMs.get(segment.chunk_id)! * samplesPerMs).catch((error: unknown) => {
        throw error instanceof UndecodableAudioError ? new UndecodableAudioError(`chunk ${segment.chunk_id}: ${error.message}`) : error;
      });
      decoded.set(segment.chunk_id, pcm);
    }
    const speech = pcm.subarray(Math.min(pcm.length, segment.offset_start_ms * samplesPerMs), Math.min(pcm.length, segment.offset_end_ms * samplesPerMs));
    if (lastUse.get(segment.chunk_id) === index) decoded.delete(segment.chunk_id);
    if (speech.length === 0) continue;
    let dialogueMs = Math.max(0, segment.start_ts - payload.start_ts);
    let pauseSamples = previousEndMs === null ? 0 : Math.min(maxPauseMs, Math.max(0, dialogueMs - previousEndMs)) * samplesPerMs;
    previousEndMs = dialogueMs + speech.length / samplesPerMs;
    for (let from = 0; from < speech.length; ) {
      if (filled > 0 && filled + pauseSamples + Math.min(speech.length - from, partSamples) > partSamples) {
        finishPart();
        pauseSamples = 0;
      }
      const take = Math.min(speech.length - from, partSamples - filled - pauseSamples);
      if (pauseSamples > 0) {
        buffers.push(new Float32Array(pauseSamples));
        filled += pauseSamples;
      }
      buffers.push(speech.subarray(from, from + take));
      pieces.push({ partStartMs: filled / samplesPerMs, dialogueStartMs: dialogueMs, durationMs: take / samplesPerMs });
      filled += take;
      from += take;
      dialogueMs += take / samplesPerMs;
      pauseSamples = 0;
    }
  }
  finishPart();
  return { parts, audioMs: Math.round(parts.reduce((total, part) => total + part.durationMs, 0)) };
}

/** A time in a part's audio as milliseconds from the dialogue's start (a pause maps to the speech after it). */
export function dialogueMsAt(pieces: readonly AudioPiece[], partMs: number): number {
  for (const piece of pieces) {
    if (partMs < piece.partStartMs) return piece.dialogueStartMs;
    if (partMs <= piece.partStartMs + piece.durationMs) return piece.dialogueStartMs + (partMs - piece.partStartMs);
  }
  const last = pieces.at(-1);
  return last ? last.dialogueStartMs + last.durationMs : 0;
}

/** The chunk's audio as far as the dialogue needs it (decoding stops after its last segment there). */
async function decodeChunk(decoder: OpusPcmDecoder, oggOpus: Uint8Array, untilSamples: number): Promise<Float32Array> {
  const buffers: Float32Array[] = [];
  // The decoder may hand out views of its WebAssembly memory: copy each slice before the next decode.
  const { samples } = await decodeWholeFile(decoder, oggOpus, (pcm) => buffers.push(pcm.slice()), untilSamples);
  const whole = new Float32Array(samples);
  let offset = 0;
  for (const buffer of buffers) {
    whole.set(buffer, offset);
    offset += buffer.length;
  }
  return whole;
}
