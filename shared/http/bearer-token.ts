import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { forbidden, unauthorized } from "./app-error.ts";

/** What a bearer token may hold: printable ASCII without spaces, so it cannot break the header. */
export const bearerTokenPattern = /^[\x21-\x7e]+$/;

/** The token from `Authorization: Bearer <token>`, or null. */
export function bearerTokenOf(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** Constant-time comparison that does not leak the expected token's length. */
export function tokensMatch(given: string | null | undefined, expected: string | null | undefined): boolean {
  if (!given || !expected) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Middleware that admits only callers presenting `token` as a Bearer token. With no token
 * configured the routes behind it are switched off (`<scope>.disabled`), never open.
 */
export function requireBearerToken(options: { token: string | undefined; scope: string; setting: string }): MiddlewareHandler {
  return async (c, next) => {
    if (!options.token) throw forbidden(`${options.scope}.disabled`, `the ${options.scope} API is off: set ${options.setting} to enable it`);
    const given = bearerTokenOf(c.req.header("authorization"));
    if (!given) throw unauthorized("auth.missing_token", "an Authorization: Bearer <token> header is required");
    if (!tokensMatch(given, options.token)) throw unauthorized("auth.invalid_token", `the token is not valid for the ${options.scope} API`);
    await next();
  };
}
