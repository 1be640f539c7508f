import { z } from "zod";
import type { Context } from "hono";
import type { AppEnv, HttpApp } from "../http/create-http-app.ts";
import { readJsonBody } from "../http/json-body.ts";
import { type AccountsDeps, logIn, logOut, SignInLockedError } from "./accounts.usecases.ts";
import { assertSameOrigin, clearedSessionCookie, isSecureRequest, requireOperator, sessionCookie, sessionTokenOf } from "./operator-session.ts";

const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export interface AccountRoutesDeps extends AccountsDeps {
  baseUrl: string | undefined;
  /** Whose failed sign-ins count together: the one resolver the node uses for client addresses (undefined: unknown). */
  clientAddress: (c: Context<AppEnv>) => string | undefined;
}

/** Sign-in, sign-out and the current session, for a node's pages. */
export function registerAccountRoutes(app: HttpApp, deps: AccountRoutesDeps): void {
  app.post("/operator/api/login", async (c) => {
    assertSameOrigin(c, deps.node);
    const input = await readJsonBody(c, loginBody);
    c.header("Cache-Control", "no-store");
    let result: Awaited<ReturnType<typeof logIn>>;
    try {
      result = await logIn(deps, { ...input, remoteAddress: deps.clientAddress(c) ?? "unknown" });
    } catch (error) {
      if (error instanceof SignInLockedError) c.header("Retry-After", String(error.retryAfterSeconds));
      throw error;
    }
    c.header("Set-Cookie", sessionCookie(deps.node, result.token, Math.floor(deps.sessionTtlMs / 1000), isSecureRequest(c.req.raw, deps.baseUrl)));
    return c.json({ operator: result.operator, expires_at: new Date(result.expiresAt).toISOString() });
  });

  app.post("/operator/api/logout", async (c) => {
    assertSameOrigin(c, deps.node);
    await logOut(deps, sessionTokenOf(c, deps.node));
    c.header("Set-Cookie", clearedSessionCookie(deps.node, isSecureRequest(c.req.raw, deps.baseUrl)));
    return c.json({ signed_out: true });
  });

  app.get("/operator/api/session", async (c) => {
    const operator = await requireOperator(c, deps);
    c.header("Cache-Control", "no-store");
    return c.json({ operator: { username: operator.username } });
  });
}
