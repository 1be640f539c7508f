import type { Client } from "@libsql/client";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import { bearerTokenOf, tokensMatch } from "../shared/http/bearer-token.ts";
import { createHttpApp, type HttpApp } from "../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import { baseHealth } from "../shared/http/node-health.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "./config.ts";
import { registerDidOptimizerApi } from "./dids/did-optimizer.wiring.ts";
import { maxCallResultsBatchBytes, callResultsBatchPath } from "../shared/contracts/call-results.ts";

export interface CoreDeps {
  config: ConfigOf<CoreConfigSpec>;
  client: Client;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  startedAt: number;
  /** DID selection draws from this (tests pass a seeded one). */
  random?: () => number;
}

export function createCoreApp(deps: CoreDeps): HttpApp {
  const app = createHttpApp({
    node: "core",
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: 1024 * 1024,
    health: () => baseHealth("core", deps.startedAt, deps.client),
    authorizeOperations: (c) => tokensMatch(bearerTokenOf(c.req.header("authorization")), deps.config.adminToken),
    bodyLimits: [{ pathPrefix: callResultsBatchPath, maxBytes: maxCallResultsBatchBytes }],
  });
  registerDidOptimizerApi(app, {
    client: deps.client,
    clock: deps.clock,
    logger: deps.logger,
    startedAt: deps.startedAt,
    adminToken: deps.config.adminToken,
    didStatsWindowDays: deps.config.didStatsWindowDays,
    didPoolRefreshSeconds: deps.config.didPoolRefreshSeconds,
    random: deps.random,
  });
  return app;
}
