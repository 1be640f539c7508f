import { z } from "zod";
import { uuidString } from "./identifiers.ts";

/**
 * The `asr` queue: transcribe one revision of one closed dialogue. The payload names the speech
 * segments of that revision (chunk and offsets, pre-roll included); a worker fetches each chunk
 * (GET /api/v1/internal/chunks/{chunk_id}/audio), cuts the segments out, sends them to its
 * transcription provider and posts the result back.
 */
export const asrQueueName = "asr";

/** Longest dialogue audio a job may describe: DIALOGUE_MAX_SECONDS' ceiling plus a chunk. */
export const maxDialogueAudioMs = 4 * 3600 * 1000 + 3_700_000;

export const asrJobPayload = z.object({
  dialogue_id: uuidString,
  revision: z.number().int().min(1),
  /** Epoch milliseconds of the dialogue's start: segment times in the result count from it. */
  start_ts: z.number().int(),
  segments: z
    .array(
      z.object({
        chunk_id: uuidString,
        start_ts: z.number().int(),
        offset_start_ms: z.number().int().min(0),
        offset_end_ms: z.number().int().min(1),
      }),
    )
    .min(1)
    .max(20_000),
});

export const asrJobResult = z
  .object({
    text: z.string().max(1_000_000),
    /** ISO 639-1 code when the provider says, else null. */
    language: z.string().min(2).max(16).nullable(),
    model: z.string().min(1).max(200),
    /** Timed segments, in milliseconds from the dialogue's start; null when the provider gives none. */
    segments: z
      .array(z.object({ start_ms: z.number().int().min(0), end_ms: z.number().int().min(0), text: z.string().max(100_000) }))
      .max(100_000)
      .nullable(),
    /** Length of the audio sent to the provider. */
    audio_ms: z.number().int().min(0).max(maxDialogueAudioMs),
    /** Time spent waiting for the provider. */
    provider_ms: z.number().int().min(0),
    /** Who transcribed it (host/pid), for the record. */
    worker: z.string().max(200).nullable(),
  })
  .superRefine((result, context) => {
    let previousStart = 0;
    result.segments?.forEach((segment, index) => {
      if (segment.end_ms < segment.start_ms) context.addIssue({ code: "custom", path: ["segments", index], message: "end_ms must not be before start_ms" });
      if (segment.start_ms < previousStart) context.addIssue({ code: "custom", path: ["segments", index], message: "segments must be in time order" });
      if (segment.end_ms > maxDialogueAudioMs) context.addIssue({ code: "custom", path: ["segments", index], message: "a segment may not end after the longest dialogue" });
      previousStart = segment.start_ms;
    });
  });

export type AsrJobPayload = z.output<typeof asrJobPayload>;
export type AsrJobResult = z.output<typeof asrJobResult>;
