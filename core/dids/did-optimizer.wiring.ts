import type { Client } from "@libsql/client";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { createCallStatsRepository } from "../calls/call-stats.repository.ts";
import { registerCallStatsRoutes } from "../calls/call-stats.routes.ts";
import { createCallsRepository } from "../calls/calls.repository.ts";
import { registerCallResultRoutes } from "../calls/calls.routes.ts";
import { createTenantsRepository } from "../tenants/tenants.repository.ts";
import { registerTenantAdminRoutes } from "../tenants/tenants.routes.ts";
import { createDidPools } from "./did-pools.ts";
import { createDidsRepository } from "./dids.repository.ts";
import { registerDidRoutes } from "./dids.routes.ts";
import { attributeCallsToSelections } from "./dids.usecases.ts";

export interface DidOptimizerOptions {
  client: Client;
  clock: Clock;
  logger: Logger;
  startedAt: number;
  didStatsWindowDays: number;
  didPoolRefreshSeconds: number;
  random?: () => number;
}

/** The DID Optimizer API: tenants and keys (admin), call results, DID pools and selection, statistics. */
export function registerDidOptimizerApi(app: HttpApp, options: DidOptimizerOptions): void {
  const { client, clock } = options;
  const tenants = createTenantsRepository(client);
  const dids = createDidsRepository(client);
  const pools = createDidPools({
    repository: dids,
    clock,
    logger: options.logger,
    refreshMs: options.didPoolRefreshSeconds * 1000,
    statsWindowDays: options.didStatsWindowDays,
  });
  const common = { tenants, clock };
  registerTenantAdminRoutes(app, common);
  registerCallResultRoutes(app, {
    ...common,
    calls: createCallsRepository(client),
    attributeCalls: attributeCallsToSelections({ dids }),
    startedAt: options.startedAt,
    checkDatabase: async () => {
      await client.execute("SELECT 1");
    },
  });
  registerCallStatsRoutes(app, { ...common, callStats: createCallStatsRepository(client) });
  registerDidRoutes(app, { ...common, dids, pools, random: options.random ?? Math.random });
}
