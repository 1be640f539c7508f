import type { Client } from "@libsql/client";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import { createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import { baseHealth, worstStatus } from "../shared/http/node-health.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import type { EdgeConfigSpec } from "./config.ts";
import type { CallSyncService } from "./sync/sync.service.ts";

export interface EdgeDeps {
  config: ConfigOf<EdgeConfigSpec>;
  client: Client;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  startedAt: number;
  /** The vicidial_log → core sync, when `serve` runs it; its state joins /health. */
  callSync?: CallSyncService;
}

export function createEdgeApp(deps: EdgeDeps): HttpApp {
  return createHttpApp({
    node: "edge",
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: 1024 * 1024,
    health: async () => {
      const health = await baseHealth("edge", deps.startedAt, deps.client);
      if (!deps.callSync) return health;
      const callSync = await deps.callSync.health();
      return { ...health, status: worstStatus(health.status, callSync.status), callSync };
    },
  });
}
