import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { NodeName } from "../cli/node-definition.ts";
import { forbidden, unauthorized } from "../http/app-error.ts";
import type { AppEnv } from "../http/create-http-app.ts";
import { type AccountsDeps, authenticateSession, type SignedInOperator } from "./accounts.usecases.ts";

/** Pages send this header on every state-changing call; a cross-site form cannot. */
export const csrfHeader = "x-requested-with";
export const csrfHeaderValue = "salescontrol";

export function sessionCookieNameOf(node: NodeName): string {
  return `salescontrol_${node}_session`;
}

export function sessionTokenOf(c: Context<AppEnv>, node: NodeName): string | null {
  return getCookie(c, sessionCookieNameOf(node)) ?? null;
}

export type SessionDeps = Pick<AccountsDeps, "accounts" | "clock" | "node">;

export function currentOperator(c: Context<AppEnv>, deps: SessionDeps): Promise<SignedInOperator | null> {
  return authenticateSession(deps, sessionTokenOf(c, deps.node));
}

/**
 * The signed-in operator, or 401. Calls that change something must also come from this node's own
 * pages: SameSite=Strict cookies, the custom header, and a matching Origin when the browser sends one.
 */
export async function requireOperator(c: Context<AppEnv>, deps: SessionDeps): Promise<SignedInOperator> {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") assertSameOrigin(c, deps.node);
  const operator = await currentOperator(c, deps);
  if (!operator) throw unauthorized("auth.required", "sign in as an operator first");
  return operator;
}

export function assertSameOrigin(c: Context<AppEnv>, node: NodeName): void {
  if (c.req.header(csrfHeader) !== csrfHeaderValue) throw forbidden("auth.csrf", `send the ${csrfHeader}: ${csrfHeaderValue} header (the ${node}'s own pages do)`);
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

export function sessionCookie(node: NodeName, token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${sessionCookieNameOf(node)}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(node: NodeName, secure: boolean): string {
  return `${sessionCookieNameOf(node)}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}

/** Whether the session cookie must be marked Secure: the page was reached over HTTPS. */
export function isSecureRequest(request: Request, baseUrl: string | undefined): boolean {
  return request.url.startsWith("https:") || (baseUrl?.startsWith("https:") ?? false);
}
