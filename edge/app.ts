import type { Client } from "@libsql/client";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import { registerAccountRoutes } from "../shared/accounts/accounts.routes.ts";
import { currentOperator } from "../shared/accounts/operator-session.ts";
import { clientAddressOf, createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import { baseHealth, worstStatus } from "../shared/http/node-health.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import type { CampaignRuntime } from "./campaigns/campaign-runtime.ts";
import type { EdgeConfigSpec } from "./config.ts";
import { registerDashboardRoutes } from "./dashboard/dashboard.routes.ts";
import { importUploadPath, registerImporterRoutes } from "./importer/importer.routes.ts";
import { registerEdgePageRoutes } from "./pages/edge-pages.routes.ts";
import type { CallSyncService } from "./sync/sync.service.ts";

export interface EdgeDeps {
  config: ConfigOf<EdgeConfigSpec>;
  client: Client;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  startedAt: number;
  /** Campaign packages, the dialer API and the operator pages. */
  campaigns: CampaignRuntime;
  /** The vicidial_log → core sync, when `serve` runs it; its state joins /health. */
  callSync?: CallSyncService;
}

export function createEdgeApp(deps: EdgeDeps): HttpApp {
  const { campaigns } = deps;
  const app = createHttpApp({
    node: "edge",
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: 1024 * 1024,
    bodyLimits: [{ pathPrefix: importUploadPath, maxBytes: deps.config.maxPackageBytes, streamed: true }],
    authorizeOperations: async (c) => (await currentOperator(c, campaigns.operators)) !== null,
    trustedProxies: campaigns.trustedProxies,
    health: async () => {
      const base = await baseHealth("edge", deps.startedAt, deps.client, deps.config.litestream);
      const served = campaigns.deployment.served.current();
      const active = served.active;
      const watcher = campaigns.watcher?.state() ?? null;
      const callSync = deps.callSync ? await deps.callSync.health() : null;
      return {
        ...base,
        status: worstStatus(base.status, watcher && watcher.consecutiveFailures > 0 ? "degraded" : "ok", callSync?.status ?? "ok"),
        campaign: active
          ? { import_id: active.importId, id: active.campaignId, name: active.campaignName, leads: active.leads.length, audio_files: active.audio.size, activated_at: new Date(active.activatedAt).toISOString(), previous_import_id: served.previousImportId }
          : null,
        audio_cache: campaigns.audioStore.stats(),
        default_prompt: campaigns.defaultPrompt.source,
        loops: watcher ? [watcher] : [],
        ...(callSync ? { callSync } : {}),
      };
    },
  });
  registerAccountRoutes(app, { ...campaigns.operators, baseUrl: deps.config.baseUrl, clientAddress: clientAddressOf });
  registerEdgePageRoutes(app, { operators: campaigns.operators, maxPackageBytes: deps.config.maxPackageBytes });
  registerImporterRoutes(app, { importer: campaigns.importer, background: campaigns.background, operators: campaigns.operators });
  registerDashboardRoutes(app, { client: deps.client, deployment: campaigns.deployment, dialer: campaigns.dialer, operators: campaigns.operators, defaultPrompt: campaigns.defaultPrompt });
  return app;
}
