import { registerAccountRoutes } from "../shared/accounts/accounts.routes.ts";
import { currentOperator } from "../shared/accounts/operator-session.ts";
import { clientAddressOf, createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import { baseHealth, worstStatus } from "../shared/http/node-health.ts";
import { registerDashboardRoutes } from "./dashboard/dashboard.routes.ts";
import type { EdgeDeps } from "./edge-deps.ts";
import { importUploadPath, registerImporterRoutes } from "./importer/importer.routes.ts";
import { registerMachineImportRoutes } from "./importer/machine-import.routes.ts";
import { campaignPackagesPath } from "../shared/contracts/campaign-package-push.ts";
import { registerEdgePageRoutes } from "./pages/edge-pages.routes.ts";

export function createEdgeApp(deps: EdgeDeps): HttpApp {
  const app = createHttpApp({
    node: "edge",
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: 1024 * 1024,
    bodyLimits: [
      { pathPrefix: importUploadPath, maxBytes: deps.config.maxPackageBytes, streamed: true },
      { pathPrefix: campaignPackagesPath, maxBytes: deps.config.maxPackageBytes, streamed: true },
    ],
    authorizeOperations: async (c) => (await currentOperator(c, deps.operators)) !== null,
    trustedProxies: deps.trustedProxies,
    health: async () => {
      const base = await baseHealth("edge", deps.startedAt, deps.database.client, deps.config.litestream);
      const served = deps.deployment.served.current();
      const active = served.active;
      const watcher = deps.watcher?.state() ?? null;
      const callSync = deps.callSync ? await deps.callSync.health() : null;
      return {
        ...base,
        status: worstStatus(base.status, watcher && watcher.consecutiveFailures > 0 ? "degraded" : "ok", callSync?.status ?? "ok"),
        campaign: active
          ? { import_id: active.importId, id: active.campaignId, name: active.campaignName, leads: active.leads.length, audio_files: active.audio.size, activated_at: new Date(active.activatedAt).toISOString(), previous_import_id: served.previousImportId }
          : null,
        audio_cache: deps.audioStore.stats(),
        default_prompt: deps.defaultPrompt.source,
        loops: watcher ? [watcher] : [],
        ...(callSync ? { callSync } : {}),
      };
    },
  });
  registerAccountRoutes(app, { ...deps.operators, baseUrl: deps.config.baseUrl, clientAddress: clientAddressOf });
  registerEdgePageRoutes(app, { operators: deps.operators, maxPackageBytes: deps.config.maxPackageBytes });
  registerImporterRoutes(app, { importer: deps.importer, background: deps.background, operators: deps.operators });
  registerMachineImportRoutes(app, { importer: deps.importer, background: deps.background, deployment: deps.deployment, machineKeys: deps.machineKeys });
  registerDashboardRoutes(app, { deployment: deps.deployment, imports: deps.importer.imports, dialer: deps.dialer, operators: deps.operators, defaultPrompt: deps.defaultPrompt });
  return app;
}
