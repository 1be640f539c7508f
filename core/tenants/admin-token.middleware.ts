import type { MiddlewareHandler } from "hono";
import { AppError, unauthorized } from "../../shared/http/app-error.ts";
import { bearerTokenOf, tokensMatch } from "../../shared/http/bearer-token.ts";
import type { AppEnv } from "../../shared/http/create-http-app.ts";

/** Guards the admin API (tenants, API keys, area codes) with `Authorization: Bearer <ADMIN_TOKEN>`. */
export function requireAdminToken(adminToken: string | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!adminToken) throw new AppError("admin.disabled", 403, "the admin API is disabled on this core: set ADMIN_TOKEN to enable it");
    const presented = bearerTokenOf(c.req.header("authorization"));
    if (!presented) throw unauthorized("auth.admin_token_missing", "send the admin token as Authorization: Bearer <ADMIN_TOKEN>");
    if (!tokensMatch(presented, adminToken)) throw unauthorized("auth.admin_token_invalid", "the admin token is not valid");
    await next();
  };
}
