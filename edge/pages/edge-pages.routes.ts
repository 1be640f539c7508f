import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { registerPageAssets } from "../../shared/pages/page-document.ts";
import { dashboardMain } from "../dashboard/dashboard.page.ts";
import { importerMain } from "../importer/importer.page.ts";
import { currentOperator, type SessionDeps } from "../../shared/accounts/operator-session.ts";
import { renderEdgePage } from "./edge-page.ts";
import { signInMain } from "../../shared/pages/sign-in-form.ts";

/** The edge's pages: sign-in, dashboard and importer; their data comes from the operator API. */
export function registerEdgePageRoutes(app: HttpApp, deps: { operators: SessionDeps; maxPackageBytes: number }): void {
  registerPageAssets(app);

  app.get("/login", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    return renderEdgePage(c, { page: "sign-in", titleKey: "signIn.title", operator: operator?.username ?? null, main: (say) => signInMain(say) });
  });

  app.get("/dashboard", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    if (!operator) return c.redirect("/login?next=/dashboard", 303);
    return renderEdgePage(c, { page: "dashboard", titleKey: "dashboard.title", operator: operator.username, main: (say) => dashboardMain(say) });
  });

  app.get("/importer", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    if (!operator) return c.redirect("/login?next=/importer", 303);
    return renderEdgePage(c, {
      page: "importer",
      titleKey: "importer.title",
      operator: operator.username,
      main: (say, language) => {
        const gigabytes = deps.maxPackageBytes >= 1e9;
        const value = new Intl.NumberFormat(language, { maximumFractionDigits: gigabytes ? 2 : 0 }).format(deps.maxPackageBytes / (gigabytes ? 1e9 : 1e6));
        return importerMain(say, say(gigabytes ? "kit.bytes.GB" : "kit.bytes.MB", { value }));
      },
    });
  });
}
