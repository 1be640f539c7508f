import { createAccountsRepository, type AccountsDatabase } from "../../shared/accounts/accounts.repository.ts";
import { type AccountsDeps, createAccountsDeps } from "../../shared/accounts/accounts.usecases.ts";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import { uuidPattern } from "../../shared/contracts/identifiers.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "../config.ts";

/** The people who sign in to the core's pages; a scope lists the point ids (shops) an account may see. */
export function createCoreAccounts(options: { config: ConfigOf<CoreConfigSpec>; db: AccountsDatabase; clock: Clock; logger: Logger; metrics?: MetricsRegistry }): AccountsDeps {
  return createAccountsDeps({
    accounts: createAccountsRepository(options.db),
    clock: options.clock,
    logger: options.logger,
    metrics: options.metrics,
    node: "core",
    signInPage: null,
    sessionTtlMs: options.config.operatorSessionHours * 3_600_000,
    scopeIds: { parse: (id) => (uuidPattern.test(id) ? id.toLowerCase() : null), description: "a point id is a UUID (8-4-4-4-12 hex digits)" },
  });
}
