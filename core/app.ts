import type { Client } from "@libsql/client";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import { callResultsBatchPath, maxCallResultsBatchBytes } from "../shared/contracts/call-results.ts";
import { chunkUploadPath, maxChunkBytes } from "../shared/contracts/chunk-upload.ts";
import { vadQueueName } from "../shared/contracts/vad-jobs.ts";
import { bearerTokenOf, requireBearerToken, tokensMatch } from "../shared/http/bearer-token.ts";
import { createAddressMatcher } from "../shared/http/address-list.ts";
import { createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import { RefusedCredentials } from "../shared/http/refused-credentials.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import { isoTime } from "../shared/http/iso-time.ts";
import { baseHealth, worstStatus } from "../shared/http/node-health.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { LoopState } from "../shared/runtime/background-loop.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import { requireAdminToken } from "./admin/admin-auth.ts";
import type { CoreConfigSpec } from "./config.ts";
import type { CoreDatabase } from "./db/core-database.ts";
import { registerDeviceRoutes } from "./devices/devices.routes.ts";
import { type AudioStorage, createAudioStorage } from "./ingest/audio-retention.ts";
import type { ChunkStorage } from "./ingest/chunk-storage.ts";
import { registerIngestRoutes } from "./ingest/ingest.routes.ts";
import { createIngestDeps } from "./ingest/ingest.usecases.ts";
import { registerInternalRoutes } from "./internal/internal.routes.ts";
import { remoteJobHandlers } from "./internal/remote-jobs.ts";
import { dialogueSettingsOf } from "./pipeline/dialogues/dialogue-settings.ts";
import { registerDialogueRoutes } from "./pipeline/dialogues/dialogues.routes.ts";
import { createVadJobQueue } from "./pipeline/vad/vad-jobs.ts";
import { createVadRemoteHandler } from "./pipeline/vad/vad-remote.ts";
import { registerDidOptimizerApi } from "./dids/did-optimizer.wiring.ts";
import { analysisQueueName } from "../shared/contracts/analysis-jobs.ts";
import { asrQueueName } from "../shared/contracts/asr-jobs.ts";
import { createAnalysisRemoteHandler } from "./pipeline/analysis/analysis-remote.ts";
import { registerAnalysisRoutes } from "./pipeline/analysis/analysis.routes.ts";
import type { AnalysisSettings } from "./pipeline/analysis/analysis-settings.ts";
import { createAsrRemoteHandler } from "./pipeline/asr/asr-remote.ts";
import { registerTranscriptRoutes } from "./pipeline/asr/asr.routes.ts";
import { pipelineSetupOf } from "./pipeline/pipeline-setup.ts";
import { createAnalysisJobQueue, createAsrJobQueue } from "./pipeline/pipeline-queues.ts";
import { registerPipelineRoutes } from "./pipeline/pipeline.routes.ts";

export interface CoreDeps {
  config: ConfigOf<CoreConfigSpec>;
  client: Client;
  db: CoreDatabase;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  startedAt: number;
  /** States of the node's background loops, for /health. */
  loopStates?: () => LoopState[];
  /** DID selection draws from this (tests pass a seeded one). */
  random?: () => number;
  /** Where chunk audio lies (AUDIO_STORAGE_PATH). */
  storage: ChunkStorage;
  /** Categories, rubric and prompts of the upsell analysis, loaded once at start. */
  analysisSettings: AnalysisSettings;
  /** Retention and free-space reserve of the chunk audio; made here when `serve` did not make it. */
  audioStorage?: AudioStorage;
}

const workerResultMaxBytes = 8 * 1024 * 1024;
/** Room for the multipart framing and text fields around the largest chunk file. */
const chunkUploadOverheadBytes = 256 * 1024;

export function createCoreApp(deps: CoreDeps): HttpApp {
  const { config, db, clock, storage, analysisSettings } = deps;
  const vadJobs = createVadJobQueue(db, clock);
  const asrJobs = createAsrJobQueue(db, clock);
  const analysisJobs = createAnalysisJobQueue(db, clock);
  const pipelineSetup = pipelineSetupOf(config);
  const audioStorage = deps.audioStorage ?? createAudioStorage({ db, clock, storage, settings: config, metrics: deps.metrics });
  const app = createHttpApp({
    node: "core",
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: 1024 * 1024,
    bodyLimits: [
      { pathPrefix: chunkUploadPath, maxBytes: maxChunkBytes + chunkUploadOverheadBytes },
      { pathPrefix: callResultsBatchPath, maxBytes: maxCallResultsBatchBytes },
      // A long dialogue's transcript with its timed segments, in Cyrillic, runs to megabytes.
      { pathPrefix: "/api/v1/internal/jobs", maxBytes: workerResultMaxBytes },
    ],
    health: async () => {
      const base = await baseHealth("core", deps.startedAt, deps.client, config.litestream);
      if (!base.database.ok) return base;
      const loops = deps.loopStates?.() ?? [];
      const vadQueue = await vadJobs.backlog(vadQueueName);
      const failing = loops.some((loop) => loop.consecutiveFailures > 0);
      const transcription = { ...pipelineSetup.transcription, queue: await asrJobs.backlog(asrQueueName) };
      const analysis = { ...pipelineSetup.analysis, queue: await analysisJobs.backlog(analysisQueueName) };
      const stored = await audioStorage.status();
      const storage = {
        stored_chunks: stored.storedChunks,
        stored_bytes: stored.storedBytes,
        oldest_chunk_start: isoTime(stored.oldestChunkStartTs),
        free_bytes: stored.freeBytes,
        reserve_bytes: stored.reserveBytes,
        retention_days: stored.retentionDays,
        deleted_chunks_total: stored.deletedChunksTotal,
      };
      // At the reserve ingest answers 507: recorders keep their chunks, but nothing new arrives.
      const full = stored.freeBytes !== null && stored.freeBytes < stored.reserveBytes;
      return { ...base, status: worstStatus(base.status, failing || full ? "degraded" : "ok"), vad: { queue: vadQueue }, transcription, analysis, storage, loops };
    },
    authorizeOperations: (c) => tokensMatch(bearerTokenOf(c.req.header("authorization")), config.adminToken),
    trustedProxies: createAddressMatcher(config.trustedProxies ?? ""),
    refusedCredentials: new RefusedCredentials({ logger: deps.logger, clock }),
  });
  app.use("/api/v1/admin/*", requireAdminToken(config.adminToken));
  app.use("/api/v1/internal/*", requireBearerToken({ token: config.internalToken, scope: "internal", setting: "INTERNAL_TOKEN" }));

  const vadDeps = { db, clock, settings: dialogueSettingsOf(config) };
  registerDeviceRoutes(app, { db, clock, serviceTokens: [config.adminToken, config.internalToken] });
  registerIngestRoutes(app, { ...createIngestDeps({ db, clock, storage, audioStorage, metrics: deps.metrics }), db, clock });
  registerDialogueRoutes(app, { db });
  const pipelineDeps = { db, clock, logger: deps.logger };
  registerTranscriptRoutes(app, { db });
  registerAnalysisRoutes(app, { db, clock, settings: analysisSettings });
  registerPipelineRoutes(app, { db, clock, setup: pipelineSetup });
  registerInternalRoutes(app, {
    db,
    clock,
    storage,
    logger: deps.logger,
    handlers: remoteJobHandlers(createVadRemoteHandler(vadDeps), createAsrRemoteHandler(pipelineDeps), createAnalysisRemoteHandler({ ...pipelineDeps, settings: analysisSettings })),
  });
  registerDidOptimizerApi(app, {
    client: deps.client,
    clock: deps.clock,
    logger: deps.logger,
    startedAt: deps.startedAt,
    didStatsWindowDays: deps.config.didStatsWindowDays,
    didPoolRefreshSeconds: deps.config.didPoolRefreshSeconds,
    random: deps.random,
  });
  return app;
}
