import { z } from "zod";

/**
 * The listening room on the campaign socket `/ws/{campaign_id}` (seed 004's events). Times are the
 * server's clock in Unix milliseconds; a client maps them to its own clock with the offset its
 * clock probes measure.
 */

/** Client → server: this connection played (or skipped past) a chunk. */
export const audioPlayedMessage = z.object({
  type: z.literal("audio_played"),
  chunk_id: z.string({ message: "chunk_id must be the chunk's id as text" }).uuid({ message: "chunk_id must be a chunk's id" }),
});

/** Client → server: an NTP-style probe; `client_sent` is the client's clock when it sent it. */
export const clockProbeMessage = z.object({
  type: z.literal("clock_probe"),
  client_sent: z.number({ message: "client_sent must be the client's clock in ms" }).finite({ message: "client_sent must be a finite number" }),
});

/** Server → client: the probe's answer. */
export const clockReplyEvent = z.object({
  type: z.literal("clock_reply"),
  client_sent: z.number(),
  server_received: z.number(),
  server_sent: z.number(),
});

export const roomChunkView = z.object({
  chunk_id: z.string(),
  sequence: z.number().int(),
  text: z.string(),
  status: z.enum(["READY", "PLAYED"]),
  start_at: z.number(),
  duration_ms: z.number().int(),
  audio_url: z.string(),
});

export const roomRequestView = z.object({
  request_id: z.string(),
  campaign_id: z.string(),
  status: z.enum(["PENDING", "GENERATING", "COMPLETED", "FAILED"]),
  source: z.union([
    z.object({ kind: z.literal("text"), text: z.string() }),
    z.object({ kind: z.literal("lead"), lead_id: z.number().int(), slot: z.string(), text: z.string() }),
    z.object({ kind: z.literal("prompt"), prompt: z.string() }),
  ]),
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  created_at: z.number(),
  started_at: z.number().nullable(),
  finished_at: z.number().nullable(),
  stream_url: z.string(),
  chunks: z.array(roomChunkView),
});

/** A chunk is ready and has its place on the timeline. */
export const audioChunkReadyEvent = z.object({
  type: z.literal("audio_chunk_ready"),
  campaign_id: z.string(),
  request_id: z.string(),
  chunk_id: z.string(),
  sequence: z.number().int(),
  text: z.string(),
  start_at: z.number(),
  duration_ms: z.number().int(),
  audio_url: z.string(),
  server_time: z.number(),
});

export const audioStreamStartedEvent = z.object({
  type: z.literal("audio_stream_started"),
  campaign_id: z.string(),
  request_id: z.string(),
  source_kind: z.enum(["text", "lead", "prompt"]),
  stream_url: z.string(),
  server_time: z.number(),
});

export const playbackQueueUpdatedEvent = z.object({
  type: z.literal("playback_queue_updated"),
  campaign_id: z.string(),
  reason: z.string(),
  server_time: z.number(),
  current: roomRequestView.nullable(),
  pending: z.array(roomRequestView),
});

export type AudioChunkReadyEvent = z.infer<typeof audioChunkReadyEvent>;
export type PlaybackQueueUpdatedEvent = z.infer<typeof playbackQueueUpdatedEvent>;
export type ClockReplyEvent = z.infer<typeof clockReplyEvent>;
export type RoomRequestView = z.infer<typeof roomRequestView>;
