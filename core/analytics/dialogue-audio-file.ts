import { notFound } from "../../shared/http/app-error.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import type { ChunkStorage } from "../ingest/chunk-storage.ts";
import { ChunkAudioMissingError, createStoredChunkSource } from "../pipeline/chunk-audio-source.ts";
import { assembleDialogueAudio } from "../pipeline/asr/dialogue-audio.ts";
import { asrPayloadOf } from "../pipeline/asr/asr.usecases.ts";
import { getDialogueWithSegments } from "../pipeline/dialogues/dialogues.usecases.ts";
import { createOpusPcmDecoderPool } from "../pipeline/vad/opus-pcm-decoder.ts";
import type { PointScope } from "./analytics.repository.ts";
import { type AnalyticsDeps, requireVisibleDialogue } from "./analytics.usecases.ts";

export interface DialogueAudioReader {
  /** The dialogue's speech as one 16 kHz WAV, assembled the way it was transcribed. */
  read(scope: PointScope, dialogueId: string): Promise<{ dialogueId: string; revision: number; updatedAt: number; wav: Uint8Array }>;
}

/** Longer than any dialogue, so the assembly yields one part. */
const wholeDialogueMs = 24 * 3_600_000;

export function createDialogueAudioReader(deps: AnalyticsDeps & { db: CoreDatabase; storage: ChunkStorage }): DialogueAudioReader {
  const decoders = createOpusPcmDecoderPool();
  const source = createStoredChunkSource(deps.db, deps.storage);
  return {
    async read(scope, dialogueId) {
      await requireVisibleDialogue(deps, scope, dialogueId);
      const { dialogue, segments } = await getDialogueWithSegments(deps, dialogueId);
      const audio = await decoders
        .use((decoder) => assembleDialogueAudio(asrPayloadOf(dialogue, segments), source, decoder, { partMs: wholeDialogueMs }))
        .catch((error: unknown) => {
          if (error instanceof ChunkAudioMissingError) throw notFound("dialogues.audio_missing", `the audio of dialogue ${dialogueId} is no longer stored`);
          throw error;
        });
      const wav = audio.parts[0]?.wav;
      if (!wav) throw notFound("dialogues.audio_missing", `dialogue ${dialogueId} has no audio`);
      return { dialogueId, revision: dialogue.revision, updatedAt: dialogue.updatedAt, wav };
    },
  };
}
