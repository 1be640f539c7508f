import type { NodeDefinition } from "../shared/cli/node-definition.ts";
import { startHttpServer } from "../shared/runtime/http-server.ts";
import { createPiApp } from "./app.ts";
import { type PiConfigSpec, piConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";

export const piNode: NodeDefinition<PiConfigSpec, typeof schema> = {
  name: "pi",
  summary: "the shop recorder: scheduled capture, offline-first spool, uploads to the core",
  configSpec: piConfigSpec,
  defaultConfigFile: "/etc/recorder-agent/config.yaml",
  envPrefix: "RA_",
  schema,
  migrations,
  database: (config) => ({ url: config.databaseUrl, authToken: config.databaseAuthToken, underLitestream: config.litestream }),
  logLevel: (config) => config.logLevel,
  async serve({ config, database, logger, metrics, clock }) {
    const app = createPiApp({ config, client: database.client, logger, metrics, clock, startedAt: clock.now() });
    const server = startHttpServer({ fetch: app.fetch, hostname: config.healthHost, port: config.healthPort });
    return { url: server.url, stop: () => server.stop() };
  },
};
