import { z } from "zod";
import { storageConfig } from "../shared/config/common-config.ts";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import { field } from "../shared/config/config-spec.ts";
import { type ConfigType, decimal, httpUrl, integer, optional, port, text, timeOfDay, uuid } from "../shared/config/config-types.ts";
import { opusSampleRates } from "../shared/contracts/chunk-upload.ts";
import { bearerTokenPattern } from "../shared/http/bearer-token.ts";

/** A bearer token: printable characters without spaces, so it cannot break the Authorization header. */
function bearerToken(): ConfigType<string> {
  const schema = z.preprocess((value) => (typeof value === "number" ? String(value) : value), z.string().regex(bearerTokenPattern));
  return { schema: schema as z.ZodType<string>, expected: "a token of printable characters without spaces" };
}

function opusSampleRate(): ConfigType<number> {
  const schema = z.preprocess(
    (value) => (typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    z.number().refine((rate) => (opusSampleRates as readonly number[]).includes(rate)),
  );
  return { schema: schema as z.ZodType<number>, expected: `one of ${opusSampleRates.join(", ")} (the rates Opus encodes at)` };
}

/**
 * The recorder's settings: the keys, variables and defaults of the original recorder-agent
 * (seed 002's reference table), plus `audio_input` and the node's storage and health settings.
 */
export const piConfigSpec = {
  ...storageConfig("pi", {
    dataDir: "RA_DATA_DIR",
    databaseUrl: "RA_DATABASE_URL",
    databaseAuthToken: "RA_DATABASE_AUTH_TOKEN",
    litestream: "RA_LITESTREAM",
    logLevel: "RA_LOG_LEVEL",
  }),
  pointId: field(uuid(), { env: "RA_POINT_ID", description: "UUID of the point of sale (shop) this recorder stands in." }),
  registerId: field(uuid(), { env: "RA_REGISTER_ID", description: "UUID of the cash register the microphone is next to." }),
  deviceId: field(uuid(), { env: "RA_DEVICE_ID", description: "UUID of this recorder, as registered on the core." }),
  ingestBaseUrl: field(httpUrl(), { env: "RA_INGEST_BASE_URL", description: "Base URL of the core's ingest API; chunks go to <url>/api/v1/chunks." }),
  ingestToken: field(bearerToken(), { env: "RA_INGEST_TOKEN", description: "Bearer token of this device on the core.", secret: true }),
  scheduleStart: field(timeOfDay(), { env: "RA_SCHEDULE_START", default: "08:00", description: "Local time recording starts each day (HH:MM)." }),
  scheduleEnd: field(timeOfDay(), {
    env: "RA_SCHEDULE_END",
    default: "22:00",
    description: "Local time recording stops (HH:MM); earlier than the start means the window crosses midnight, equal means around the clock.",
  }),
  chunkSeconds: field(integer({ min: 1, max: 3600 }), { env: "RA_CHUNK_SECONDS", default: 60, description: "Length of one audio chunk in seconds." }),
  opusBitrateKbps: field(integer({ min: 6, max: 256 }), { env: "RA_OPUS_BITRATE_KBPS", default: 24, description: "Opus bitrate in kbit/s." }),
  audioDevice: field(optional(text()), {
    env: "RA_AUDIO_DEVICE",
    description: "ALSA capture device such as hw:1,0 (opened through plughw); empty detects the USB microphone.",
  }),
  audioInput: field(optional(text()), {
    env: "RA_AUDIO_INPUT",
    description:
      "Records from any ffmpeg input instead of ALSA: lavfi:<filtergraph> (e.g. lavfi:sine=frequency=440), alsa:<device>, pulse:<source>, or a file path (looped); for tests, demos and machines without a microphone.",
  }),
  sampleRate: field(opusSampleRate(), { env: "RA_SAMPLE_RATE", default: 48000, description: "Sample rate in Hz." }),
  spoolDir: field(text({ minLength: 1 }), {
    env: "RA_SPOOL_DIR",
    default: "/var/lib/recorder-agent/spool",
    description: "Root of the chunk spool (recording/, outbox/ for unsent chunks, sent/ for uploaded ones).",
  }),
  maxSpoolDays: field(decimal({ min: 0.001 }), { env: "RA_MAX_SPOOL_DAYS", default: 7, description: "Chunks older than this many days are deleted." }),
  maxSpoolGb: field(decimal({ min: 0.000001 }), {
    env: "RA_MAX_SPOOL_GB",
    default: 20,
    description: "Largest size of the spool in GB (10^9 bytes); uploaded chunks are deleted first, then the oldest unsent ones.",
  }),
  retryMinS: field(decimal({ min: 0.1, max: 86400 }), { env: "RA_RETRY_MIN_S", default: 2, description: "First upload retry delay in seconds." }),
  retryMaxS: field(decimal({ min: 0.1, max: 86400 }), { env: "RA_RETRY_MAX_S", default: 300, description: "Longest upload retry delay in seconds." }),
  healthHost: field(text({ minLength: 1 }), {
    env: "RA_HEALTH_HOST",
    default: "127.0.0.1",
    description: "Address of the health endpoint; loopback, so only the Pi itself can read it.",
  }),
  healthPort: field(port(), { env: "RA_HEALTH_PORT", default: 8042, description: "Port of the HTTP health endpoint." }),
};

export type PiConfigSpec = typeof piConfigSpec;
export type PiConfig = ConfigOf<PiConfigSpec>;

/** Checks that involve two settings at once; each problem names the keys. */
export function checkPiConfig(config: PiConfig): string[] {
  const problems: string[] = [];
  if (config.retryMaxS < config.retryMinS) {
    problems.push(`RA_RETRY_MAX_S (retry_max_s): ${config.retryMaxS} is shorter than RA_RETRY_MIN_S (retry_min_s) ${config.retryMinS}`);
  }
  return problems;
}
