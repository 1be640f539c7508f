import type { NodeDefinition } from "../shared/cli/node-definition.ts";
import { startHttpServer } from "../shared/runtime/http-server.ts";
import { resolveServingAdminToken } from "./admin/serving-tokens.ts";
import { processPasswordSource, runOperatorCommand } from "../shared/accounts/operator.commands.ts";
import { startAnalyticsRefresh } from "./analytics/analytics-refresh.ts";
import { createCoreApp } from "./app.ts";
import { type CoreConfigSpec, coreConfigSpec } from "./config.ts";
import { buildCoreDeps } from "./core-deps.ts";
import { migrations } from "./db/migrations.ts";
import * as schema from "./db/schema.ts";
import { startAudioRetention } from "./ingest/audio-retention.ts";
import { runWorkerCommand, workerSummaryOf, workerUsageOf } from "./internal/worker.commands.ts";
import { createCoreAccounts } from "./operators/operator-accounts.ts";
import { dialogueSettingsOf } from "./pipeline/dialogues/dialogue-settings.ts";
import { startPipelineHousekeeping } from "./pipeline/pipeline-housekeeping.ts";
import { type PipelineStages, startPipelineStages } from "./pipeline/pipeline-stage.ts";
import { pipelineStages } from "./pipeline/pipeline-stages.ts";
import { startRoomLoops } from "./rooms/rooms-deps.ts";
import { createStudioRepository } from "./studio/studio.repository.ts";
import { createStudioDeps } from "./studio/studio-deps.ts";
import { startDialerSettlement } from "./dialer/dialer.usecases.ts";
import { campaignCommandUsage, runCampaignCommand } from "./studio/studio.commands.ts";

/** The core as its binary runs it, with these pipeline stages (tests may add one). */
export function createCoreNode(stages: PipelineStages = pipelineStages): NodeDefinition<CoreConfigSpec, typeof schema> {
  return {
    name: "core",
    summary: "the central SalesControl server: audio ingest, speech finding, transcription, upsell analysis and caller-ID statistics",
    configSpec: coreConfigSpec,
    schema,
    migrations,
    describeSetup: (config) => stages.flatMap((stage) => stage.explain?.(config) ?? []),
    writableDirectories: (config) => [{ setting: "AUDIO_STORAGE_PATH", path: config.audioStoragePath }],
    database: (config) => ({ url: config.databaseUrl, authToken: config.databaseAuthToken, underLitestream: config.litestream }),
    logLevel: (config) => config.logLevel,
    async serve({ config: loadedConfig, database, logger, metrics, clock, shutdown }) {
      const adminToken = resolveServingAdminToken(
        { adminToken: loadedConfig.adminToken, internalToken: loadedConfig.internalToken, devMode: loadedConfig.devMode, dataDir: loadedConfig.dataDir },
        logger,
      );
      const deps = buildCoreDeps(Object.freeze({ ...loadedConfig, adminToken }), database, clock, { logger, metrics, stages });
      const app = createCoreApp(deps);
      const server = startHttpServer({ fetch: app.fetch, hostname: deps.config.host, port: deps.config.port });
      const housekeeping = startPipelineHousekeeping({ db: deps.db, clock, settings: dialogueSettingsOf(deps.config), stages: deps.stages, logger }, shutdown);
      const retention = startAudioRetention({ audioStorage: deps.audioStorage, clock, logger }, shutdown);
      const pipeline = startPipelineStages(deps, deps.stages, shutdown);
      const studio = createStudioRepository(deps.db);
      const recovered = await deps.rooms.recover(async (campaignId) => await studio.findCampaign(campaignId));
      if (recovered.requeued + recovered.failed > 0) logger.info("listening rooms resumed after a restart", recovered);
      const rooms = startRoomLoops(deps, shutdown);
      const analytics = startAnalyticsRefresh(deps, shutdown);
      const dialerSettlement = deps.dialer ? startDialerSettlement(deps.dialer, shutdown) : null;
      deps.loops.add(housekeeping, retention, analytics, ...pipeline.loops, ...rooms, ...(dialerSettlement ? [dialerSettlement] : []));
      return {
        url: server.url,
        async stop() {
          await server.stop();
          await Promise.all([housekeeping.stopped, retention.stopped, analytics.stopped, pipeline.stop(), ...rooms.map((loop) => loop.stopped), dialerSettlement?.stopped]);
          await deps.rooms.flushState().catch((error) => logger.error("listening-room state not written at shutdown", { error, unwritten: deps.rooms.unwrittenChanges() }));
        },
      };
    },
    commands: {
      worker: {
        usage: workerUsageOf(stages),
        summary: workerSummaryOf(stages),
        run: ({ config, database, logger, metrics, clock, shutdown }, args) => runWorkerCommand(buildCoreDeps(config, database, clock, { logger, metrics, stages }), shutdown, args),
      },
      campaign: {
        usage: campaignCommandUsage,
        summary: "write a studio campaign's package (its leads and generated audio) to a file for an edge's import",
        run: (context, args) => runCampaignCommand(createStudioDeps({ config: context.config, db: context.database.db as never, clock: context.clock, logger: context.logger }), args, context.output),
      },
      operator: {
        usage: "operator add|access|password|remove|list [name] [--role admin|viewer] [--scope <point id>,…]",
        summary: "manage the accounts that may sign in to the core's pages; a scope limits an account to some points",
        run: (context, args) => runOperatorCommand(createCoreAccounts({ config: context.config, db: context.database.db, clock: context.clock, logger: context.logger }), args, context.output, processPasswordSource()),
      },
    },
  };
}

export const coreNode = createCoreNode();
