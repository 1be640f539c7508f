import { accountsConfig } from "../shared/accounts/accounts.config.ts";
import { listenConfig, storageConfig } from "../shared/config/common-config.ts";
import { field } from "../shared/config/config-spec.ts";
import { flag, optional, text } from "../shared/config/config-types.ts";
import { dialerConfig } from "./dialer/dialer.config.ts";
import { didsConfig } from "./dids/dids.config.ts";
import { ingestConfig } from "./ingest/ingest.config.ts";
import { analyticsConfig } from "./analytics/analytics.config.ts";
import { analysisConfig } from "./pipeline/analysis/analysis.config.ts";
import { asrConfig } from "./pipeline/asr/asr.config.ts";
import { pipelineConfig } from "./pipeline/pipeline.config.ts";
import { roomsConfig } from "./rooms/rooms.config.ts";
import { studioConfig } from "./studio/studio.config.ts";

export const coreConfigSpec = {
  ...storageConfig("core", {
    dataDir: "DATA_DIR",
    databaseUrl: "DATABASE_URL",
    databaseAuthToken: "DATABASE_AUTH_TOKEN",
    litestream: "LITESTREAM",
    logLevel: "LOG_LEVEL",
  }),
  ...listenConfig({ hostEnv: "HOST", portEnv: "PORT", defaultHost: "0.0.0.0", defaultPort: 8000 }),
  adminToken: field(optional(text({ minLength: 16 })), {
    env: "ADMIN_TOKEN",
    description: "Bearer token for the admin API (devices, tenants) and for reading /metrics remotely; required to serve (unless DEV_MODE), and placeholders are refused.",
    secret: true,
  }),
  internalToken: field(optional(text({ minLength: 16 })), {
    env: "INTERNAL_TOKEN",
    description: "Bearer token that `core worker` processes on other hosts present to the internal API.",
    secret: true,
  }),
  devMode: field(flag(), {
    env: "DEV_MODE",
    default: false,
    description: "Local development: without ADMIN_TOKEN the core generates one into <data_dir>/admin-token instead of refusing to serve.",
  }),
  ...ingestConfig,
  ...pipelineConfig,
  ...didsConfig,
  ...asrConfig,
  ...analysisConfig,
  ...studioConfig,
  ...roomsConfig,
  ...dialerConfig,
  ...accountsConfig("the dashboard and studio"),
  ...analyticsConfig,
};

export type CoreConfigSpec = typeof coreConfigSpec;
