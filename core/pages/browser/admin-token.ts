import { api, element, type PageKit, startPage } from "../../../shared/pages/browser/page-kit.ts";

/** The seed dashboard's sign-in: ADMIN_TOKEN lives in this tab's sessionStorage only. */
const tokenKey = "salescontrol.adminToken";

export function storedAdminToken(): string | null {
  return sessionStorage.getItem(tokenKey);
}

export function keepAdminToken(token: string): void {
  sessionStorage.setItem(tokenKey, token);
}

export function forgetAdminToken(): void {
  sessionStorage.removeItem(tokenKey);
}

/** A call of the core's API with the tab's token when there is one, else the operator's session cookie. */
export function dashboardApi<Result>(kit: PageKit<unknown>, path: string, init: RequestInit = {}): Promise<Result> {
  const token = storedAdminToken();
  return api<Result>(kit, path, token ? { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } } : init);
}

/** A file of the core's API for a link or a player: the address itself with the session, a blob URL with the token (a link cannot carry the header). */
export async function dashboardFileUrl(path: string): Promise<string> {
  const token = storedAdminToken();
  if (!token) return path;
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${response.status}`);
  return URL.createObjectURL(await response.blob());
}

/** A page behind sign-in; with the token there is no session to end, so the bar offers to forget the token. */
export function startDashboardPage(): PageKit<null> {
  const kit = startPage<null>();
  const bar = document.querySelector(".bar-end");
  if (storedAdminToken() && bar && !document.getElementById("sign-out")) {
    const forget = element("button", { type: "button", id: "forget-token", text: kit.say("token.forget") });
    forget.addEventListener("click", () => {
      forgetAdminToken();
      location.href = "/login";
    });
    bar.append(forget);
  }
  return kit;
}
