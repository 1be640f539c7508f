import { z } from "zod";
import { impossibleDateTimeProblem } from "./calendar-time.ts";
import { uuidString } from "./identifiers.ts";

/**
 * Recorder → core: one audio chunk, as seed 002's "Протокол загрузки" defines it, plus a stable
 * chunk identity so that an upload whose response was lost is recognised instead of duplicated.
 *
 *   POST {ingest_base_url}/api/v1/chunks
 *   Authorization: Bearer <device token>
 *   Content-Type: multipart/form-data
 *   fields: point_id, register_id, device_id, start_ts, end_ts, codec, sample_rate, channels,
 *           chunk_id (UUID the recorder gives the chunk when it is written, kept across retries),
 *           sha256 (hex SHA-256 of the file bytes)
 *   file:   chunk_file (audio/ogg, OGG/Opus)
 *   200:    {"status":"ok","chunk_id":"…","stored_path":"…","queued":true,"duplicate":false}
 *
 * Re-sending a chunk_id with the same sha256 returns 200 with the same chunk_id and
 * "duplicate": true, and stores nothing new. The same chunk_id with different bytes is a 409.
 * Errors use the error envelope {"error":{"code","message","requestId"}}.
 */
export const chunkUploadPath = "/api/v1/chunks";
export const chunkFileField = "chunk_file";

/** Opus encodes at these rates only. */
export const opusSampleRates = [8000, 12000, 16000, 24000, 48000] as const;
/** A chunk's file may not exceed this (an hour of Opus at 64 kbps is ~29 MB). */
export const maxChunkBytes = 32 * 1024 * 1024;
export const maxChunkDurationSeconds = 3600;
/** How far in the future a chunk's end may lie, for recorders whose clock runs ahead. */
export const maxClockSkewSeconds = 300;

/**
 * How far a chunk's declared span (end_ts − start_ts) may differ from the length of its audio: the
 * recorder keeps them within 2 s (a clock step inside a chunk moves its start), plus 1 % for clocks
 * that drift. The core refuses uploads outside this, and never decodes past span + this.
 */
export function maxSpanDisagreementMs(spanMs: number): number {
  return 2_000 + Math.ceil(spanMs / 100);
}

/**
 * Chunks of one device may overlap by this much (timestamp rounding between consecutive
 * segments); more would put the same speech twice into a dialogue, so it is refused.
 */
export const maxChunkOverlapMs = 10;

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Chunk times travel as RFC 3339 timestamps with milliseconds ("2026-01-15T09:00:00.000Z");
 * Unix seconds ("1736931600.25"), which earlier recorders sent, are accepted too.
 * Both parse to epoch milliseconds.
 */
export const chunkTimestamp = z.string().trim().transform((value, context) => {
  let millis = Number.NaN;
  const impossible = impossibleDateTimeProblem(value);
  if (impossible) {
    context.addIssue({ code: "custom", message: `is not a real date and time: ${impossible}` });
    return z.NEVER;
  }
  if (isoTimestamp.test(value)) millis = Date.parse(value);
  else if (/^\d{9,11}(\.\d{1,6})?$/.test(value)) millis = Math.round(Number(value) * 1000);
  if (!Number.isFinite(millis)) {
    context.addIssue({ code: "custom", message: "must be an RFC 3339 timestamp such as 2026-01-15T09:00:00.000Z, or Unix seconds" });
    return z.NEVER;
  }
  return millis;
});

export function formatChunkTimestamp(epochMillis: number): string {
  return new Date(epochMillis).toISOString();
}

const integerText = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,6}$/, { message: `${name} must be a whole number` })
    .transform(Number);

/** The multipart text fields, as the server validates them (all arrive as strings). */
export const chunkUploadFields = z
  .object({
    point_id: uuidString,
    register_id: uuidString,
    device_id: uuidString,
    start_ts: chunkTimestamp,
    end_ts: chunkTimestamp,
    codec: z.literal("opus", { message: 'codec must be "opus"' }),
    sample_rate: integerText("sample_rate").refine((rate) => (opusSampleRates as readonly number[]).includes(rate), {
      message: `sample_rate must be one of ${opusSampleRates.join(", ")}`,
    }),
    channels: integerText("channels").refine((channels) => channels === 1 || channels === 2, { message: "channels must be 1 or 2" }),
    chunk_id: uuidString.optional(),
    sha256: z
      .string()
      .trim()
      .regex(/^[0-9a-fA-F]{64}$/, { message: "sha256 must be 64 hex digits" })
      .transform((value) => value.toLowerCase())
      .optional(),
  })
  .superRefine((fields, context) => {
    if (fields.end_ts <= fields.start_ts) context.addIssue({ code: "custom", path: ["end_ts"], message: "end_ts must be after start_ts" });
    else if (fields.end_ts - fields.start_ts > maxChunkDurationSeconds * 1000) {
      context.addIssue({ code: "custom", path: ["end_ts"], message: `a chunk may last at most ${maxChunkDurationSeconds} seconds` });
    }
  });

export type ChunkUploadFields = z.output<typeof chunkUploadFields>;

/** What the recorder sends (its side of the same contract). */
export interface ChunkUploadRequest {
  pointId: string;
  registerId: string;
  deviceId: string;
  startTs: number;
  endTs: number;
  sampleRate: number;
  channels: number;
  chunkId: string;
  sha256: string;
}

export function chunkUploadFormFields(request: ChunkUploadRequest): Record<string, string> {
  return {
    point_id: request.pointId,
    register_id: request.registerId,
    device_id: request.deviceId,
    start_ts: formatChunkTimestamp(request.startTs),
    end_ts: formatChunkTimestamp(request.endTs),
    codec: "opus",
    sample_rate: String(request.sampleRate),
    channels: String(request.channels),
    chunk_id: request.chunkId,
    sha256: request.sha256,
  };
}

export const chunkUploadResponse = z.object({
  status: z.literal("ok"),
  chunk_id: z.string().min(1),
  stored_path: z.string(),
  queued: z.boolean(),
  duplicate: z.boolean().default(false),
});

export type ChunkUploadResponse = z.output<typeof chunkUploadResponse>;

/** Error codes the core answers uploads with; the recorder decides from the status alone. */
export const chunkUploadErrorCodes = {
  missingToken: "auth.missing_token",
  invalidToken: "auth.invalid_token",
  deviceDisabled: "ingest.device_disabled",
  deviceMismatch: "ingest.device_mismatch",
  malformedMultipart: "ingest.malformed_multipart",
  invalidField: "ingest.invalid_field",
  missingFile: "ingest.missing_file",
  notOggOpus: "ingest.not_ogg_opus",
  checksumMismatch: "ingest.checksum_mismatch",
  /** 422: the file's audio is much longer or shorter than end_ts − start_ts says. */
  spanMismatch: "ingest.span_mismatch",
  chunkConflict: "ingest.chunk_conflict",
  /** 409: the chunk's time span overlaps a chunk this device uploaded before (a clock that stepped back). */
  chunkOverlap: "ingest.chunk_overlap",
  /** 425: end_ts lies more than maxClockSkewSeconds ahead of the core's clock; retry later. */
  clockAhead: "ingest.clock_ahead",
  /** 507: the core's audio storage is down to its free-space reserve; the recorder keeps the chunk and retries later. */
  storageFull: "ingest.storage_full",
  tooLarge: "request.body_too_large",
} as const;

/**
 * Statuses that say the chunk itself can never be accepted (invalid or conflicting fields, not
 * OGG/Opus, damaged, too large): the recorder sets that chunk aside with the reason in its health
 * and goes on with the next. Everything else (5xx, 429, 425, 408, network errors, and the
 * credential answers below) is retried.
 */
export function isPermanentUploadRejection(status: number): boolean {
  return status === 400 || status === 409 || status === 413 || status === 422;
}

/**
 * 507: the core cannot store anything right now (its disk is at the reserve). Nothing is wrong with
 * the chunk: it is retried like a network failure and never counts towards setting a chunk aside.
 */
export function isCoreStorageFull(status: number): boolean {
  return status === 507;
}

/**
 * 401 (bad or rotated token) and 403 (device disabled, or registered for another point/register)
 * are about the recorder's credentials, not the chunk: an operator fixes them on the core or in
 * the recorder's settings, after which every waiting chunk must still upload. The recorder holds
 * its whole queue, probes at its longest retry interval, and shows the problem in its health.
 */
export function isCredentialRejection(status: number): boolean {
  return status === 401 || status === 403;
}
