import { storageConfig } from "../shared/config/common-config.ts";
import { field } from "../shared/config/config-spec.ts";
import { port, text } from "../shared/config/config-types.ts";

export const piConfigSpec = {
  ...storageConfig(
    "pi",
    {
      dataDir: "RA_DATA_DIR",
      databaseUrl: "RA_DATABASE_URL",
      databaseAuthToken: "RA_DATABASE_AUTH_TOKEN",
      litestream: "RA_LITESTREAM",
      logLevel: "RA_LOG_LEVEL",
    },
  ),
  healthHost: field(text({ minLength: 1 }), {
    env: "RA_HEALTH_HOST",
    default: "127.0.0.1",
    description: "Address of the health endpoint; loopback, so only the Pi itself can read it.",
  }),
  healthPort: field(port(), { env: "RA_HEALTH_PORT", default: 8042, description: "Port of the HTTP health endpoint." }),
};

export type PiConfigSpec = typeof piConfigSpec;
