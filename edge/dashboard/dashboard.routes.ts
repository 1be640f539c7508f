import { z } from "zod";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import type { CampaignDeployment } from "../campaigns/campaigns.usecases.ts";
import type { DefaultPrompt } from "../dialer/default-prompt.ts";
import type { DialerApi } from "../dialer/dialer.routes.ts";
import { type ImportHistoryDeps, surroundingImports } from "../importer/import-history.usecases.ts";
import { importJson } from "../importer/importer.routes.ts";
import type { AccountsDeps } from "../../shared/accounts/accounts.usecases.ts";
import { requireOperator } from "../../shared/accounts/operator-session.ts";
import { campaignSummary, searchLeads } from "./dashboard.usecases.ts";

const leadsQuery = z.object({
  q: z.string().max(100).default(""),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce.number().int().min(1).max(200).default(25),
});

export function registerDashboardRoutes(app: HttpApp, deps: ImportHistoryDeps & { deployment: CampaignDeployment; dialer: DialerApi; operators: AccountsDeps; defaultPrompt: DefaultPrompt }): void {
  app.get("/", (c) => c.redirect("/dashboard", 303));

  app.get("/operator/api/campaign", async (c) => {
    await requireOperator(c, deps.operators);
    const served = deps.deployment.served.current();
    const { previous, running } = await surroundingImports(deps, served.previousImportId);
    c.header("Cache-Control", "no-store");
    return c.json({
      ...campaignSummary(served),
      previous: previous ? { import_id: previous.id, campaign_id: previous.campaignId, campaign_name: previous.campaignName, lead_count: previous.leadCount, activated_at: isoTime(previous.activatedAt) } : null,
      running: running ? importJson(running) : null,
      default_prompt: deps.defaultPrompt.source,
    });
  });

  app.get("/operator/api/leads", async (c) => {
    await requireOperator(c, deps.operators);
    const query = leadsQuery.parse(c.req.query());
    const snapshot = deps.deployment.served.current().active;
    c.header("Cache-Control", "no-store");
    if (!snapshot) return c.json({ total: 0, page: 1, per_page: query.per_page, leads: [], import_id: null });
    return c.json({ ...searchLeads(snapshot, { query: query.q, page: query.page, perPage: query.per_page }), import_id: snapshot.importId });
  });

  app.post("/operator/api/rollback", async (c) => {
    const operator = await requireOperator(c, deps.operators);
    const swapped = await deps.deployment.rollback(operator.username);
    return c.json({ active_import_id: swapped.activeImportId, previous_import_id: swapped.previousImportId, rolled_back_by: operator.username });
  });

  // The players on the dashboard: the same files the dialer gets, for signed-in operators.
  app.on(["GET", "HEAD"], "/operator/audio/:importId/*", async (c) => {
    await requireOperator(c, deps.operators);
    const importId = z.coerce.number().int().min(1).parse(c.req.param("importId"));
    const prefix = `/operator/audio/${c.req.param("importId")}/`;
    return deps.dialer.serveAudio(c.req.raw, importId, c.req.path.slice(prefix.length));
  });
}
