import type { NodeDefinition } from "../shared/cli/node-definition.ts";
import type { BackgroundLoop } from "../shared/runtime/background-loop.ts";
import { startHttpServer } from "../shared/runtime/http-server.ts";
import { resolveServingAdminToken } from "./admin/serving-tokens.ts";
import { processPasswordSource, runOperatorCommand } from "../shared/accounts/operator.commands.ts";
import { createCoreApp } from "./app.ts";
import { type CoreConfigSpec, coreConfigSpec } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";
import { createAudioStorage, startAudioRetention } from "./ingest/audio-retention.ts";
import { createChunkStorage } from "./ingest/chunk-storage.ts";
import { runWorkerCommand, workerUsage } from "./internal/worker.commands.ts";
import { createCoreAccounts } from "./operators/operator-accounts.ts";
import { dialogueSettingsOf } from "./pipeline/dialogues/dialogue-settings.ts";
import { startPipelineHousekeeping } from "./pipeline/pipeline-housekeeping.ts";
import { describePipelineSetup, pipelineSetupOf } from "./pipeline/pipeline-setup.ts";
import { createVadJobQueue, registerVadMetrics, startVadLoop } from "./pipeline/vad/vad-jobs.ts";
import { loadAnalysisSettingsOrRefuse, startPipelineWorkers } from "./pipeline/pipeline-workers.ts";

export const coreNode: NodeDefinition<CoreConfigSpec, typeof schema> = {
  name: "core",
  summary: "the central SalesControl server: audio ingest, speech finding, transcription, upsell analysis and caller-ID statistics",
  configSpec: coreConfigSpec,
  schema,
  migrations,
  describeSetup: (config) => describePipelineSetup(pipelineSetupOf(config)),
  writableDirectories: (config) => [{ setting: "AUDIO_STORAGE_PATH", path: config.audioStoragePath }],
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
    const analysisSettings = loadAnalysisSettingsOrRefuse(config.analysisSettingsFile);
    const storage = createChunkStorage(config.audioStoragePath);
    const audioStorage = createAudioStorage({ db, clock, storage, settings: config, metrics });
    const app = createCoreApp({ config, client: database.client, db, logger, metrics, clock, startedAt: clock.now(), loopStates: () => loops.map((loop) => loop.state()), storage, analysisSettings, audioStorage });
    const server = startHttpServer({ fetch: app.fetch, hostname: config.host, port: config.port });
    const housekeeping = startPipelineHousekeeping({ db, clock, settings, jobs: vadJobs, logger }, shutdown);
    loops.push(housekeeping);
    stoppers.push(() => housekeeping.stopped);
    const retention = startAudioRetention({ audioStorage, clock, logger }, shutdown);
    loops.push(retention);
    stoppers.push(() => retention.stopped);
    if (config.vadInProcess) {
      const vad = startVadLoop({ db, clock, settings, queue: vadJobs, storage, logger, metrics: registerVadMetrics(metrics) }, shutdown);
      loops.push(...vad.loops);
      stoppers.push(vad.stop);
    }
    const pipeline = startPipelineWorkers({ config, db, clock, logger, metrics, storage, analysisSettings }, shutdown);
    loops.push(...pipeline.loops);
    stoppers.push(pipeline.stop);
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
      usage: workerUsage,
      summary: "do a core's pipeline work on this host over its internal API: find speech (vad), transcribe (asr) or analyse (analysis)",
      run: ({ config, logger, clock, shutdown }, args) => runWorkerCommand({ config, logger, clock, shutdown }, args),
    },
    operator: {
      usage: "operator add|access|password|remove|list [name] [--role admin|viewer] [--scope <point id>,…]",
      summary: "manage the accounts that may sign in to the core's pages; a scope limits an account to some points",
      run: (context, args) => runOperatorCommand(createCoreAccounts({ config: context.config, db: context.database.db, clock: context.clock, logger: context.logger }), args, context.output, processPasswordSource()),
    },
  },
};
