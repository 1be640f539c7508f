import type { AsrJobPayload, AsrJobResult } from "../../../shared/contracts/asr-jobs.ts";
import { ChunkAudioMissingError, type ChunkAudioSource } from "../chunk-audio-source.ts";
import type { OpusPcmDecoder } from "../vad/opus-pcm-decoder.ts";
import { UndecodableAudioError } from "../vad/speech-analyzer.ts";
import { assembleDialogueAudio, dialogueMsAt } from "./dialogue-audio.ts";
import { TranscriptionFailedError, type TranscriptionProvider } from "./transcription-provider.ts";

export interface DialogueTranscriberDeps {
  source: ChunkAudioSource;
  decoder: OpusPcmDecoder;
  provider: TranscriptionProvider;
  /** Who transcribes (host/pid), stored with the transcript. */
  worker: string | null;
}

export interface DialogueTranscription {
  result: AsrJobResult;
  /** Fetching, decoding and assembling the audio. */
  assembleMs: number;
}

/**
 * One job's work, the same in the core and in `core worker`: assemble the dialogue's audio, send
 * each part to the provider, and join the answers into one transcript timed from the dialogue's
 * start.
 */
export async function transcribeDialogue(deps: DialogueTranscriberDeps, payload: AsrJobPayload, signal?: AbortSignal): Promise<DialogueTranscription> {
  const assembleStarted = performance.now();
  const audio = await assembleDialogueAudio(payload, deps.source, deps.decoder);
  const assembleMs = performance.now() - assembleStarted;
  const texts: string[] = [];
  const segments: NonNullable<AsrJobResult["segments"]> = [];
  let timed = audio.parts.length > 0;
  let language: string | null = null;
  let providerMs = 0;
  for (const part of audio.parts) {
    signal?.throwIfAborted();
    const started = performance.now();
    const transcription = await deps.provider.transcribe(part.wav, signal);
    providerMs += performance.now() - started;
    if (transcription.text) texts.push(transcription.text);
    language ??= transcription.language;
    if (!transcription.segments) timed = false;
    for (const segment of transcription.segments ?? []) {
      if (!segment.text) continue;
      const previousStart = segments.at(-1)?.start_ms ?? 0;
      const startMs = Math.max(previousStart, Math.round(dialogueMsAt(part.pieces, segment.start * 1000)));
      const endMs = Math.max(startMs, Math.round(dialogueMsAt(part.pieces, segment.end * 1000)));
      segments.push({ start_ms: startMs, end_ms: endMs, text: segment.text });
    }
  }
  return {
    result: {
      text: texts.join(" "),
      language,
      model: deps.provider.model,
      segments: timed ? segments : null,
      audio_ms: audio.audioMs,
      provider_ms: Math.round(providerMs),
      worker: deps.worker,
    },
    assembleMs,
  };
}

/** How a transcription job failed: the reason stored on the job, and whether a retry can help. */
export function transcriptionFailureOf(error: unknown): { message: string; permanent: boolean } {
  if (error instanceof ChunkAudioMissingError || error instanceof UndecodableAudioError) return { message: error.message, permanent: true };
  if (error instanceof TranscriptionFailedError) return { message: error.message, permanent: error.permanent };
  return { message: `transcription failed: ${(error as Error)?.message ?? String(error)}`, permanent: false };
}
