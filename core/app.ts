import type { Client } from "@libsql/client";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import { bearerTokenOf, tokensMatch } from "../shared/http/bearer-token.ts";
import { createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import { baseHealth } from "../shared/http/node-health.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "./config.ts";

export interface CoreDeps {
  config: ConfigOf<CoreConfigSpec>;
  client: Client;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  startedAt: number;
}

export function createCoreApp(deps: CoreDeps): HttpApp {
  return createHttpApp({
    node: "core",
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: 1024 * 1024,
    health: () => baseHealth("core", deps.startedAt, deps.client),
    authorizeOperations: (c) => tokensMatch(bearerTokenOf(c.req.header("authorization")), deps.config.adminToken),
  });
}
