import { createAccountsRepository, type AccountsDatabase } from "../../shared/accounts/accounts.repository.ts";
import { type AccountsDeps, createAccountsDeps } from "../../shared/accounts/accounts.usecases.ts";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { EdgeConfigSpec } from "../config.ts";

/** The accounts that may open the importer and dashboard, for the server and the `operator` command alike. */
export function createEdgeAccounts(options: { config: ConfigOf<EdgeConfigSpec>; db: AccountsDatabase; clock: Clock; logger: Logger; metrics?: MetricsRegistry }): AccountsDeps {
  return createAccountsDeps({
    accounts: createAccountsRepository(options.db),
    clock: options.clock,
    logger: options.logger,
    metrics: options.metrics,
    node: "edge",
    signInPage: "/login",
    sessionTtlMs: options.config.operatorSessionHours * 3_600_000,
  });
}
