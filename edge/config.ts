import { listenConfig, storageConfig } from "../shared/config/common-config.ts";
import { field } from "../shared/config/config-spec.ts";
import { httpUrl, optional } from "../shared/config/config-types.ts";
import { callSyncConfig } from "./sync/sync.config.ts";
import { vicidialConfig } from "./vicidial/vicidial.config.ts";

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
};

export type EdgeConfigSpec = typeof edgeConfigSpec;
