import type { NodeDefinition } from "../shared/cli/node-definition.ts";
import { ConfigError } from "../shared/config/config-loader.ts";
import type { BackgroundLoop } from "../shared/runtime/background-loop.ts";
import { startHttpServer } from "../shared/runtime/http-server.ts";
import { resolveServingAdminToken } from "./admin/serving-tokens.ts";
import { createCoreApp } from "./app.ts";
import { type CoreConfigSpec, coreConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";
import { createChunkStorage } from "./ingest/chunk-storage.ts";
import { createInternalApiClient } from "./internal/internal-api-client.ts";
import { dialogueSettingsOf } from "./pipeline/dialogues/dialogue-settings.ts";
import { startPipelineHousekeeping } from "./pipeline/pipeline-housekeeping.ts";
import { createVadJobQueue, registerVadMetrics, startVadLoop } from "./pipeline/vad/vad-jobs.ts";
import { startRemoteVadWorker } from "./pipeline/vad/vad-remote-worker.ts";

export const coreNode: NodeDefinition<CoreConfigSpec, typeof schema> = {
  name: "core",
  summary: "the central SalesControl server: ingest, analysis, dashboards, campaigns and dialer",
  configSpec: coreConfigSpec,
  schema,
  migrations,
  database: (config) => ({ url: config.databaseUrl, authToken: config.databaseAuthToken, underLitestream: config.litestream }),
  logLevel: (config) => config.logLevel,
  async serve({ config: loadedConfig, database, logger, metrics, clock, shutdown }) {
    const adminToken = resolveServingAdminToken(
      { adminToken: loadedConfig.adminToken, internalToken: loadedConfig.internalToken, devMode: loadedConfig.devMode, dataDir: loadedConfig.dataDir },
      logger,
    );
    const config = Object.freeze({ ...loadedConfig, adminToken });
    const db = database.db;
    const loops: BackgroundLoop[] = [];
    const stoppers: Array<() => Promise<void>> = [];
    const settings = dialogueSettingsOf(config);
    const vadJobs = createVadJobQueue(db, clock);
    const app = createCoreApp({ config, client: database.client, db, logger, metrics, clock, startedAt: clock.now(), loopStates: () => loops.map((loop) => loop.state()) });
    const server = startHttpServer({ fetch: app.fetch, hostname: config.host, port: config.port });
    // Loops start once the server answers: /health is up while the WASM decoder is prepared.
    const housekeeping = startPipelineHousekeeping({ db, clock, settings, vadJobs, logger }, shutdown);
    loops.push(housekeeping);
    stoppers.push(() => housekeeping.stopped);
    if (config.vadInProcess) {
      const vad = await startVadLoop(
        { db, clock, settings, queue: vadJobs, storage: createChunkStorage(config.audioStoragePath), logger, metrics: registerVadMetrics(metrics) },
        shutdown,
      );
      loops.push(vad.loop);
      stoppers.push(vad.stop);
    }
    return {
      url: server.url,
      async stop() {
        await server.stop();
        await Promise.all(stoppers.map((stop) => stop()));
      },
    };
  },
  commands: {
    worker: {
      usage: "worker",
      summary: "find speech in chunks for a core on another host, over its internal API (INGEST_INTERNAL_BASE_URL, INTERNAL_TOKEN)",
      async run({ config, logger, clock, shutdown }) {
        const problems: string[] = [];
        if (!config.ingestInternalBaseUrl) problems.push("INGEST_INTERNAL_BASE_URL (ingest_internal_base_url): missing; `core worker` needs the URL of the core it works for");
        if (!config.internalToken) problems.push("INTERNAL_TOKEN (internal_token): missing; `core worker` authenticates to the core's internal API with it");
        if (problems.length > 0) throw new ConfigError(problems);
        const client = createInternalApiClient({ baseUrl: config.ingestInternalBaseUrl!, token: config.internalToken! });
        const worker = await startRemoteVadWorker({ client, clock, logger }, shutdown);
        logger.info("worker started", { core: config.ingestInternalBaseUrl, queues: ["vad"] });
        await worker.stop();
        logger.info("worker stopped", { processed: worker.processed() });
        return 0;
      },
    },
  },
};
