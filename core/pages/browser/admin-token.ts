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

/** A GET of the analytics API with the tab's token when there is one, else the operator's session cookie. */
export function dashboardApi<Result>(kit: PageKit<unknown>, path: string): Promise<Result> {
  const token = storedAdminToken();
  return api<Result>(kit, path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
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
