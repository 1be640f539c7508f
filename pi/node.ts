import type { NodeDefinition } from "../shared/cli/node-definition.ts";
import { startHttpServer } from "../shared/runtime/http-server.ts";
import { startRecorderAgent } from "./agent/recorder-agent.ts";
import { createPiApp } from "./app.ts";
import { checkPiConfig, type PiConfigSpec, piConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";
import { piCommands } from "./pi.commands.ts";

export const piNode: NodeDefinition<PiConfigSpec, typeof schema> = {
  name: "pi",
  summary: "the shop recorder: scheduled capture, offline-first spool, uploads to the core",
  configSpec: piConfigSpec,
  defaultConfigFile: "/etc/recorder-agent/config.yaml",
  envPrefix: "RA_",
  schema,
  migrations,
  checkConfig: checkPiConfig,
  writableDirectories: (config) => [{ setting: "RA_SPOOL_DIR", path: config.spoolDir }],
  database: (config) => ({ url: config.databaseUrl, authToken: config.databaseAuthToken, underLitestream: config.litestream }),
  logLevel: (config) => config.logLevel,
  async serve({ config, database, logger, metrics, clock }) {
    const agent = await startRecorderAgent({ config, db: database.db, logger, metrics, clock });
    const app = createPiApp({ client: database.client, logger, metrics, startedAt: clock.now(), recorderHealth: agent.health, underLitestream: config.litestream });
    let server: ReturnType<typeof startHttpServer>;
    try {
      server = startHttpServer({ fetch: app.fetch, hostname: config.healthHost, port: config.healthPort });
    } catch (error) {
      await agent.stop();
      throw new Error(`cannot serve health on ${config.healthHost}:${config.healthPort}: ${(error as Error).message}`);
    }
    return {
      url: server.url,
      async stop() {
        await agent.stop();
        await server.stop();
      },
    };
  },
  commands: piCommands,
};
