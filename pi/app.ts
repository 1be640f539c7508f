import type { Client } from "@libsql/client";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import { createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import { baseHealth } from "../shared/http/node-health.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import type { PiConfigSpec } from "./config.ts";

export interface PiDeps {
  config: ConfigOf<PiConfigSpec>;
  client: Client;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  startedAt: number;
}

export function createPiApp(deps: PiDeps): HttpApp {
  return createHttpApp({
    node: "pi",
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: 64 * 1024,
    health: () => baseHealth("pi", deps.startedAt, deps.client),
  });
}
