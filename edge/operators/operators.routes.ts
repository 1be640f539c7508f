import { z } from "zod";
import { clientAddressOf, type HttpApp } from "../../shared/http/create-http-app.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import { assertSameOrigin, clearedSessionCookie, requireOperator, sessionCookie, sessionTokenOf } from "./operator-session.ts";
import { logIn, logOut, type OperatorDeps } from "./operators.usecases.ts";

const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

/** Whether the session cookie must be marked Secure: the page was reached over HTTPS. */
export function isSecureRequest(request: Request, baseUrl: string | undefined): boolean {
  return request.url.startsWith("https:") || (baseUrl?.startsWith("https:") ?? false);
}

export function registerOperatorRoutes(app: HttpApp, deps: OperatorDeps & { baseUrl: string | undefined }): void {
  app.post("/operator/api/login", async (c) => {
    assertSameOrigin(c);
    const input = await readJsonBody(c, loginBody);
    const result = await logIn(deps, { ...input, remoteAddress: clientAddressOf(c) ?? "unknown" });
    c.header("Set-Cookie", sessionCookie(result.token, Math.floor(deps.sessionTtlMs / 1000), isSecureRequest(c.req.raw, deps.baseUrl)));
    c.header("Cache-Control", "no-store");
    return c.json({ operator: result.operator, expires_at: new Date(result.expiresAt).toISOString() });
  });

  app.post("/operator/api/logout", async (c) => {
    assertSameOrigin(c);
    await logOut(deps, sessionTokenOf(c));
    c.header("Set-Cookie", clearedSessionCookie(isSecureRequest(c.req.raw, deps.baseUrl)));
    return c.json({ signed_out: true });
  });

  app.get("/operator/api/session", async (c) => {
    const operator = await requireOperator(c, deps);
    c.header("Cache-Control", "no-store");
    return c.json({ operator });
  });
}
