import { api, type PageKit } from "../../../shared/pages/browser/page-kit.ts";

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
