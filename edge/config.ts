import { totalmem } from "node:os";
import { join } from "node:path";
import { accountsConfig } from "../shared/accounts/accounts.config.ts";
import { listenConfig, storageConfig } from "../shared/config/common-config.ts";
import { field } from "../shared/config/config-spec.ts";
import { httpUrl, integer, optional, text } from "../shared/config/config-types.ts";
import { addressAllowList } from "../shared/http/address-list.ts";
import { callSyncConfig } from "./sync/sync.config.ts";
import { vicidialConfig } from "./vicidial/vicidial.config.ts";

const gibibyte = 1024 * 1024 * 1024;

export const edgeConfigSpec = {
  ...storageConfig("edge", {
    dataDir: "DATA_DIR",
    databaseUrl: "DATABASE_URL",
    databaseAuthToken: "DATABASE_AUTH_TOKEN",
    litestream: "LITESTREAM",
    logLevel: "LOG_LEVEL",
  }),
  // The importer and dashboard are opened from a browser on another machine, as in seed 000.
  ...listenConfig({ hostEnv: "HOST", portEnv: "PORT", defaultHost: "0.0.0.0", defaultPort: 8001 }),
  baseUrl: field(optional(httpUrl()), {
    env: "BASE_URL",
    description: "URL the dialer reaches this edge at, used in the audio URLs it returns (default http://127.0.0.1:<port>).",
  }),
  ...vicidialConfig,
  ...callSyncConfig,

  // Campaign packages, the dialer API and the operator pages.
  audioStoragePath: field(text({ minLength: 1 }), {
    env: "AUDIO_STORAGE_PATH",
    default: (resolved) => join(String(resolved.dataDir), "campaigns"),
    description: "Directory holding the imported audio, one subdirectory per import (default <data_dir>/campaigns).",
  }),
  defaultPromptPath: field(optional(text({ minLength: 1 })), {
    env: "DEFAULT_PROMPT_PATH",
    description: "WAV (8 kHz mono 16-bit PCM) played when a lead's audio is missing and its campaign names no default_audio; one second of silence when unset.",
  }),
  dialerAllowFrom: field(addressAllowList(), {
    env: "DIALER_ALLOW_FROM",
    default: "loopback",
    description: "Clients allowed to use the dialer API (lead lookups and audio): loopback and/or IP addresses and CIDR blocks.",
  }),
  maxPackageBytes: field(integer({ min: 1024 }), {
    env: "MAX_PACKAGE_BYTES",
    default: 8 * gibibyte,
    description: "Largest campaign package (.zip) accepted, in bytes.",
  }),
  maxPackageUncompressedBytes: field(integer({ min: 1024 }), {
    env: "MAX_PACKAGE_UNCOMPRESSED_BYTES",
    default: 32 * gibibyte,
    description: "Largest total a package may expand to, in bytes (zip bombs are refused before anything is written).",
  }),
  uploadStallSeconds: field(integer({ min: 1, max: 3600 }), {
    env: "UPLOAD_STALL_SECONDS",
    default: 15,
    description: "An upload to the importer page that sends nothing for this long is stopped, so the single import lock is free again.",
  }),
  audioCacheMegabytes: field(integer({ min: 0, max: 1024 * 1024 }), {
    env: "AUDIO_CACHE_MB",
    default: () => Math.min(1024, Math.floor(totalmem() / 8 / 1024 / 1024)),
    description: "Memory for audio served to the dialer, in MiB (default: an eighth of RAM, at most 1024; 0 reads every request from disk).",
  }),
  ...accountsConfig("the importer and dashboard"),
};

export type EdgeConfigSpec = typeof edgeConfigSpec;
