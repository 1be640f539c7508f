import type { Client } from "@libsql/client";
import { createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import { baseHealth, worstStatus } from "../shared/http/node-health.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { RecorderHealth } from "./agent/recorder-health.ts";

export interface PiDeps {
  client: Client;
  logger: Logger;
  metrics: MetricsRegistry;
  startedAt: number;
  /** Recording, spool and upload state; the seed's health fields come from here. */
  recorderHealth: () => Promise<RecorderHealth>;
  /** Whether Litestream replicates the database (LITESTREAM / RA_LITESTREAM), for /health. */
  underLitestream?: boolean;
}

/** The recorder's only HTTP surface: GET /health and GET /metrics on 127.0.0.1:health_port. */
export function createPiApp(deps: PiDeps): HttpApp {
  return createHttpApp({
    node: "pi",
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: 64 * 1024,
    health: async () => {
      const base = await baseHealth("pi", deps.startedAt, deps.client, deps.underLitestream);
      if (!base.database.ok) return base;
      const recorder = await deps.recorderHealth();
      return { ...recorder.fields, ...base, status: worstStatus(base.status, recorder.status) };
    },
  });
}
