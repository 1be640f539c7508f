import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { forbidden, unauthorized } from "../../shared/http/app-error.ts";
import type { AppEnv } from "../../shared/http/create-http-app.ts";
import { authenticateSession, type Operator, type OperatorDeps } from "./operators.usecases.ts";

export const sessionCookieName = "salescontrol_edge_session";
/** Pages send this header on every state-changing call; a cross-site form cannot. */
export const csrfHeader = "x-requested-with";
export const csrfHeaderValue = "salescontrol";

export function sessionTokenOf(c: Context<AppEnv>): string | null {
  return getCookie(c, sessionCookieName) ?? null;
}

export function currentOperator(c: Context<AppEnv>, deps: Pick<OperatorDeps, "client" | "clock">): Promise<Operator | null> {
  return authenticateSession(deps, sessionTokenOf(c));
}

/**
 * The signed-in operator, or 401. Calls that change something must also come from this edge's own
 * pages: SameSite=Strict cookies, the custom header, and a matching Origin when the browser sends one.
 */
export async function requireOperator(c: Context<AppEnv>, deps: Pick<OperatorDeps, "client" | "clock">): Promise<Operator> {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") assertSameOrigin(c);
  const operator = await currentOperator(c, deps);
  if (!operator) throw unauthorized("auth.required", "sign in as an operator first");
  return operator;
}

export function assertSameOrigin(c: Context<AppEnv>): void {
  if (c.req.header(csrfHeader) !== csrfHeaderValue) throw forbidden("auth.csrf", `send the ${csrfHeader}: ${csrfHeaderValue} header (the edge's own pages do)`);
  const origin = c.req.header("origin");
  if (origin && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw forbidden("auth.csrf", "the Origin header is malformed");
    }
    if (originHost !== c.req.header("host")) throw forbidden("auth.csrf", "requests from other sites are refused");
  }
}

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${sessionCookieName}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
