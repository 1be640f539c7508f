import type { MiddlewareHandler } from "hono";
import { apiKeyHeader } from "../../shared/contracts/call-results.ts";
import type { AppEnv } from "../../shared/http/create-http-app.ts";
import type { ApiKeyOwner } from "./tenants.repository.ts";
import { type ApiKeyScope, authenticateApiKey, type TenantsDeps } from "./tenants.usecases.ts";

export type TenantEnv = AppEnv & { Variables: AppEnv["Variables"] & { apiKeyOwner: ApiKeyOwner } };

/** Resolves `x-api-key` to its tenant (401 unknown key, 403 missing scope); handlers read `apiKeyOwner`. */
export function requireApiKey(deps: TenantsDeps, scope: ApiKeyScope | null): MiddlewareHandler<TenantEnv> {
  return async (c, next) => {
    c.set("apiKeyOwner", await authenticateApiKey(deps, c.req.header(apiKeyHeader), scope));
    await next();
  };
}
