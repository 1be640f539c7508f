import type { NodeDefinition } from "../shared/cli/node-definition.ts";
import { startHttpServer } from "../shared/runtime/http-server.ts";
import { createEdgeApp } from "./app.ts";
import { type EdgeConfigSpec, edgeConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";
import { syncCommand } from "./sync/sync.commands.ts";
import { startCallSyncService } from "./sync/sync.service.ts";
import { resolveVicidialSettings } from "./vicidial/vicidial-settings.ts";

export const edgeNode: NodeDefinition<EdgeConfigSpec, typeof schema> = {
  name: "edge",
  summary: "the SalesControl node on a VICIdial server: campaign packages, the dialer's local API, call-result sync",
  configSpec: edgeConfigSpec,
  schema,
  migrations,
  database: (config) => ({ url: config.databaseUrl, authToken: config.databaseAuthToken, underLitestream: config.litestream }),
  logLevel: (config) => config.logLevel,
  async serve({ config, database, logger, metrics, clock, shutdown }) {
    const callSync = startCallSyncService({ config, settings: resolveVicidialSettings(config), client: database.client, logger, metrics, clock, signal: shutdown });
    const app = createEdgeApp({ config, client: database.client, logger, metrics, clock, startedAt: clock.now(), callSync });
    const server = startHttpServer({ fetch: app.fetch, hostname: config.host, port: config.port });
    return {
      url: server.url,
      stop: async () => {
        await server.stop();
        await callSync.stop();
      },
    };
  },
  commands: { sync: syncCommand },
};
