import { currentOperator, type SessionDeps } from "../../shared/accounts/operator-session.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { registerPageAssets } from "../../shared/pages/page-document.ts";
import { renderCorePage } from "./core-page.ts";
import { dialogueMain } from "./dialogue.page.ts";
import { dialoguesMain } from "./dialogues.page.ts";
import { overviewMain } from "./overview.page.ts";
import { pointsMain } from "./points.page.ts";
import { recordersMain } from "./recorders.page.ts";
import { coreSignInMain } from "./sign-in.page.ts";
import { whatWorksMain } from "./what-works.page.ts";

/** The core's dashboard pages; their figures come from the analytics API in the browser. */
export function registerCorePageRoutes(app: HttpApp, deps: { operators: SessionDeps }): void {
  registerPageAssets(app);

  app.get("/login", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    return renderCorePage(c, { page: "sign-in", titleKey: "signIn.title", operator: operator?.username ?? null, signedIn: false, main: (say) => coreSignInMain(say) });
  });

  app.get("/dashboard", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    return renderCorePage(c, { page: "overview", titleKey: "overview.title", operator: operator?.username ?? null, signedIn: true, main: (say) => overviewMain(say) });
  });

  app.get("/dialogues", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    return renderCorePage(c, { page: "dialogues", titleKey: "dialogues.title", operator: operator?.username ?? null, signedIn: true, main: (say) => dialoguesMain(say) });
  });

  app.get("/dialogues/:dialogue_id", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    // Only an admin sees the re-analyse button (with the admin token the page's script offers it).
    const data = { canReanalyse: operator?.role === "admin" };
    return renderCorePage(c, { page: "dialogue", titleKey: "dialogue.title", operator: operator?.username ?? null, signedIn: true, data, main: (say) => dialogueMain(say) });
  });

  app.get("/what-works", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    return renderCorePage(c, { page: "what-works", titleKey: "whatWorks.title", operator: operator?.username ?? null, signedIn: true, main: (say) => whatWorksMain(say) });
  });

  app.get("/points", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    return renderCorePage(c, { page: "points", titleKey: "points.title", operator: operator?.username ?? null, signedIn: true, main: (say) => pointsMain(say) });
  });

  app.get("/recorders", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    return renderCorePage(c, { page: "recorders", titleKey: "recorders.title", operator: operator?.username ?? null, signedIn: true, main: (say) => recordersMain(say) });
  });
}
