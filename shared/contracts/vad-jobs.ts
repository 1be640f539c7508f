import { z } from "zod";
import { uuidString } from "./identifiers.ts";

/** The `vad` queue: find the speech in one stored chunk. */
export const vadQueueName = "vad";

export const vadJobPayload = z.object({
  chunk_id: uuidString,
  /** Epoch milliseconds of the chunk's start and end, as the recorder reported them. */
  start_ts: z.number().int(),
  end_ts: z.number().int(),
  channels: z.number().int().min(1).max(255),
});

/** Longest audio a chunk may decode to (its declared hour plus slack), in milliseconds. */
export const maxVadAudioMs = 3_700_000;

/** Speech spans as offsets into the decoded chunk, in order and not overlapping. */
export const vadJobResult = z
  .object({
    audio_ms: z.number().int().min(0).max(maxVadAudioMs),
    segments: z
      .array(z.object({ start_ms: z.number().int().min(0), end_ms: z.number().int().min(1) }))
      .max(20_000),
  })
  .superRefine((result, context) => {
    let previousEnd = 0;
    result.segments.forEach((segment, index) => {
      if (segment.end_ms <= segment.start_ms) context.addIssue({ code: "custom", path: ["segments", index], message: "end_ms must be after start_ms" });
      if (segment.start_ms < previousEnd) context.addIssue({ code: "custom", path: ["segments", index], message: "segments must be in order and must not overlap" });
      if (segment.end_ms > result.audio_ms) context.addIssue({ code: "custom", path: ["segments", index], message: "a segment may not end after the audio" });
      previousEnd = segment.end_ms;
    });
  });

export type VadJobPayload = z.output<typeof vadJobPayload>;
export type VadJobResult = z.output<typeof vadJobResult>;
