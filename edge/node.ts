import type { NodeDefinition } from "../shared/cli/node-definition.ts";
import { startHttpServer } from "../shared/runtime/http-server.ts";
import { createEdgeApp } from "./app.ts";
import { type EdgeConfigSpec, edgeConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";

export const edgeNode: NodeDefinition<EdgeConfigSpec, typeof schema> = {
  name: "edge",
  summary: "the SalesControl node on a VICIdial server: campaign packages, the dialer's local API, call-result sync",
  configSpec: edgeConfigSpec,
  schema,
  migrations,
  database: (config) => ({ url: config.databaseUrl, authToken: config.databaseAuthToken, underLitestream: config.litestream }),
  logLevel: (config) => config.logLevel,
  async serve({ config, database, logger, metrics, clock }) {
    const app = createEdgeApp({ config, client: database.client, logger, metrics, clock, startedAt: clock.now() });
    const server = startHttpServer({ fetch: app.fetch, hostname: config.host, port: config.port });
    return { url: server.url, stop: () => server.stop() };
  },
};
