import type { NodeDefinition } from "../shared/cli/node-definition.ts";
import { startHttpServer } from "../shared/runtime/http-server.ts";
import { createCoreApp } from "./app.ts";
import { type CoreConfigSpec, coreConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";

export const coreNode: NodeDefinition<CoreConfigSpec, typeof schema> = {
  name: "core",
  summary: "the central SalesControl server: ingest, analysis, dashboards, campaigns and dialer",
  configSpec: coreConfigSpec,
  schema,
  migrations,
  database: (config) => ({ url: config.databaseUrl, authToken: config.databaseAuthToken, underLitestream: config.litestream }),
  logLevel: (config) => config.logLevel,
  async serve({ config, database, logger, metrics, clock }) {
    const app = createCoreApp({ config, client: database.client, logger, metrics, clock, startedAt: clock.now() });
    const server = startHttpServer({ fetch: app.fetch, hostname: config.host, port: config.port });
    return { url: server.url, stop: () => server.stop() };
  },
};
