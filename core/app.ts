import { callResultsBatchPath, maxCallResultsBatchBytes } from "../shared/contracts/call-results.ts";
import { chunkUploadPath, maxChunkBytes } from "../shared/contracts/chunk-upload.ts";
import { bearerTokenOf, requireBearerToken, tokensMatch } from "../shared/http/bearer-token.ts";
import { createAddressMatcher } from "../shared/http/address-list.ts";
import { clientAddressOf, createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import { registerAccountRoutes } from "../shared/accounts/accounts.routes.ts";
import { registerCorePageRoutes } from "./pages/core-pages.routes.ts";
import { RefusedCredentials } from "../shared/http/refused-credentials.ts";
import { isoTime } from "../shared/http/iso-time.ts";
import { baseHealth, worstStatus } from "../shared/http/node-health.ts";
import { requireAdminToken } from "./admin/admin-auth.ts";
import { createCallStatsRepository } from "./calls/call-stats.repository.ts";
import { registerCallStatsRoutes } from "./calls/call-stats.routes.ts";
import { registerCallResultRoutes } from "./calls/calls.routes.ts";
import type { CoreDeps } from "./core-deps.ts";
import { checkDatabase } from "./db/core-database.ts";
import { registerDeviceRoutes } from "./devices/devices.routes.ts";
import { createDidsRepository } from "./dids/dids.repository.ts";
import { registerDidRoutes } from "./dids/dids.routes.ts";
import { attributeCallsToSelections } from "./dids/dids.usecases.ts";
import { registerIngestRoutes } from "./ingest/ingest.routes.ts";
import { createIngestDeps } from "./ingest/ingest.usecases.ts";
import { registerInternalRoutes } from "./internal/internal.routes.ts";
import { internalDepsOf } from "./internal/internal.usecases.ts";
import { registerAnalysisRoutes } from "./pipeline/analysis/analysis.routes.ts";
import { registerTranscriptRoutes } from "./pipeline/asr/asr.routes.ts";
import { registerDialogueRoutes } from "./pipeline/dialogues/dialogues.routes.ts";
import { stagesHealth } from "./pipeline/pipeline-stage.ts";
import { registerPipelineRoutes } from "./pipeline/pipeline.routes.ts";
import { createTenantsRepository } from "./tenants/tenants.repository.ts";
import { registerTenantAdminRoutes } from "./tenants/tenants.routes.ts";
import { dashboardCaller, registerAnalyticsRoutes } from "./analytics/analytics.routes.ts";
import { createDialogueAudioReader } from "./analytics/dialogue-audio-file.ts";
import { createCoreAccounts } from "./operators/operator-accounts.ts";
import { createStudioDeps } from "./studio/studio-deps.ts";
import { registerStudioRoutes } from "./studio/studio.routes.ts";
import { registerRoomsRoutes } from "./rooms/rooms.routes.ts";
import { createRoomsRepository } from "./rooms/rooms.repository.ts";
import { llmSettingsOf } from "./pipeline/analysis/upsell-analyser.ts";
import { createStudioRepository } from "./studio/studio.repository.ts";
import { registerCampaignSocketRoute } from "./campaign-socket/campaign-socket.routes.ts";
import { registerDialerRoutes } from "./dialer/dialer.routes.ts";
import { studioLeadsOf } from "./dialer/dialer-deps.ts";

export type { CoreDeps } from "./core-deps.ts";

/** A studio campaign's leads file (CSV) at its largest. */
const maxStudioLeadsBytes = 64 * 1024 * 1024;
const workerResultMaxBytes = 8 * 1024 * 1024;
/** Room for the multipart framing and text fields around the largest chunk file. */
const chunkUploadOverheadBytes = 256 * 1024;

export function createCoreApp(deps: CoreDeps): HttpApp {
  const { config, db, clock, storage, analysisSettings } = deps;
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
      { pathPrefix: "/api/v1/studio/campaigns/", maxBytes: maxStudioLeadsBytes },
    ],
    health: async () => {
      const base = await baseHealth("core", deps.startedAt, { execute: () => checkDatabase(db) }, config.litestream);
      if (!base.database.ok) return base;
      const loops = deps.loops.states();
      const failing = loops.some((loop) => loop.consecutiveFailures > 0);
      const stored = await deps.audioStorage.status();
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
      return { ...base, status: worstStatus(base.status, failing || full ? "degraded" : "ok"), ...(await stagesHealth(deps, deps.stages)), storage, loops };
    },
    authorizeOperations: (c) => tokensMatch(bearerTokenOf(c.req.header("authorization")), config.adminToken),
    trustedProxies: createAddressMatcher(config.trustedProxies ?? ""),
    refusedCredentials: new RefusedCredentials({ logger: deps.logger, clock }),
  });
  app.use("/api/v1/admin/*", requireAdminToken(config.adminToken));
  app.use("/api/v1/internal/*", requireBearerToken({ token: config.internalToken, scope: "internal", setting: "INTERNAL_TOKEN" }));

  registerDeviceRoutes(app, { db, clock, serviceTokens: [config.adminToken, config.internalToken] });
  registerIngestRoutes(app, { ...createIngestDeps({ db, clock, storage, audioStorage: deps.audioStorage, metrics: deps.metrics }), db, clock });
  registerDialogueRoutes(app, { db });
  registerTranscriptRoutes(app, { db });
  registerAnalysisRoutes(app, { db, clock, settings: analysisSettings });
  registerPipelineRoutes(app, { db, clock, config, stages: deps.stages });
  const analyticsDeps = deps.analytics;
  const sessions = createCoreAccounts({ config, db: db as never, clock, logger: deps.logger, metrics: deps.metrics });
  registerAccountRoutes(app, { ...sessions, baseUrl: undefined, clientAddress: clientAddressOf });
  registerCorePageRoutes(app, { operators: sessions });
  registerAnalyticsRoutes(app, { ...analyticsDeps, clock, caller: dashboardCaller({ adminToken: config.adminToken, sessions }), audio: createDialogueAudioReader({ ...analyticsDeps, storage }) });
  registerStudioRoutes(app, { ...createStudioDeps(deps), adminToken: config.adminToken, sessions });
  const studioCampaigns = createStudioRepository(db);
  deps.campaignSocket.addCampaignLookup(async (campaignId) => (await studioCampaigns.findCampaign(campaignId)) !== null);
  registerCampaignSocketRoute(app, { socket: deps.campaignSocket, adminToken: config.adminToken, sessions });
  registerRoomsRoutes(app, {
    rooms: deps.rooms,
    repository: createRoomsRepository(db),
    studio: studioCampaigns,
    clock,
    socket: deps.campaignSocket,
    promptsEnabled: llmSettingsOf(config) !== null,
    adminToken: config.adminToken,
    sessions,
  });
  registerInternalRoutes(app, internalDepsOf(deps, deps.stages));
  registerDialerRoutes(app, {
    dialer: deps.dialer,
    socket: deps.campaignSocket,
    adminToken: config.adminToken,
    sessions,
    studioLeads: studioLeadsOf(studioCampaigns),
    tenantExists: async (id) => (await createTenantsRepository(db).findTenant(id)) !== null,
  });

  // The DID Optimizer API: tenants and keys (admin), call results, DID pools and selection, statistics.
  const tenants = createTenantsRepository(db);
  const dids = createDidsRepository(db);
  registerTenantAdminRoutes(app, { tenants, clock });
  registerCallResultRoutes(app, {
    tenants,
    clock,
    db,
    attributeCalls: attributeCallsToSelections({ dids }),
    startedAt: deps.startedAt,
    checkDatabase: () => checkDatabase(db),
  });
  registerCallStatsRoutes(app, { tenants, clock, callStats: createCallStatsRepository(db) });
  registerDidRoutes(app, { tenants, clock, dids, pools: deps.didPools, random: deps.random });
  return app;
}
