import { currentOperator, type SessionDeps } from "../../shared/accounts/operator-session.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { registerPageAssets } from "../../shared/pages/page-document.ts";
import type { SafeHtml } from "../../shared/pages/html.ts";
import { type CorePageName, renderCorePage, type Say } from "./core-page.ts";
import { dialogueMain } from "./dialogue.page.ts";
import { dialoguesMain } from "./dialogues.page.ts";
import { overviewMain } from "./overview.page.ts";
import { roomMain } from "./room.page.ts";
import { campaignIdPattern } from "../../shared/contracts/campaign-package.ts";
import { notFound } from "../../shared/http/app-error.ts";
import { pointsMain } from "./points.page.ts";
import { recordersMain } from "./recorders.page.ts";
import { coreSignInMain } from "./sign-in.page.ts";
import { studioCampaignMain } from "./studio-campaign.page.ts";
import { studioCampaignsMain } from "./studio-campaigns.page.ts";
import { studioReviewMain } from "./studio-review.page.ts";
import { whatWorksMain } from "./what-works.page.ts";

/** The core's dashboard and studio pages; their data comes from the core's API in the browser. */
export function registerCorePageRoutes(app: HttpApp, deps: { operators: SessionDeps }): void {
  registerPageAssets(app);

  app.get("/login", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    return renderCorePage(c, { page: "sign-in", titleKey: "signIn.title", operator: operator?.username ?? null, signedIn: false, main: (say) => coreSignInMain(say) });
  });

  // Pages behind sign-in with no data of their own: their scripts read the dashboard API.
  const signedInPages: Array<[path: string, page: CorePageName, titleKey: string, main: (say: Say) => SafeHtml]> = [
    ["/dashboard", "overview", "overview.title", overviewMain],
    ["/dialogues", "dialogues", "dialogues.title", dialoguesMain],
    ["/what-works", "what-works", "whatWorks.title", whatWorksMain],
    ["/points", "points", "points.title", pointsMain],
    ["/recorders", "recorders", "recorders.title", recordersMain],
    ["/studio", "studio-campaigns", "studio.title", studioCampaignsMain],
    ["/studio/:campaign_id", "studio-campaign", "studio.title", studioCampaignMain],
    ["/studio/:campaign_id/review", "studio-review", "review.title", studioReviewMain],
  ];
  for (const [path, page, titleKey, main] of signedInPages) {
    app.get(path, async (c) => {
      const operator = await currentOperator(c, deps.operators);
      return renderCorePage(c, { page, titleKey, operator: operator?.username ?? null, signedIn: true, main: (say) => main(say) });
    });
  }

  app.get("/dialogues/:dialogue_id", async (c) => {
    const operator = await currentOperator(c, deps.operators);
    // Only an admin sees the re-analyse button (with the admin token the page's script offers it).
    const data = { canReanalyse: operator?.role === "admin" };
    return renderCorePage(c, { page: "dialogue", titleKey: "dialogue.title", operator: operator?.username ?? null, signedIn: true, data, main: (say) => dialogueMain(say) });
  });

  // A listen link's holder comes here with ?listen=<token>; the page checks nothing itself, the API and the socket do.
  app.get("/rooms/:campaign_id", async (c) => {
    const campaignId = c.req.param("campaign_id");
    if (!campaignIdPattern.test(campaignId)) throw notFound("campaign.not_found", "no such campaign");
    const operator = await currentOperator(c, deps.operators);
    const listening = c.req.query("listen") !== undefined;
    return renderCorePage(c, { page: "room", titleKey: "room.title", operator: operator?.username ?? null, signedIn: !listening, main: (say) => roomMain(say, campaignId) });
  });
}
