import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { requireOperator, type SessionDeps, sessionTokenOf } from "../../shared/accounts/operator-session.ts";
import { campaignIdPattern } from "../../shared/contracts/campaign-package.ts";
import { AppError, forbidden, unauthorized } from "../../shared/http/app-error.ts";
import type { AppEnv, HttpApp } from "../../shared/http/create-http-app.ts";
import { bearerTokenOf, tokensMatch } from "../../shared/http/bearer-token.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import { scriptLimits } from "./studio-script.ts";
import { createStudioCampaign, getStudioCampaign, setStudioScript, startStudioGeneration, type StudioCampaignView, type StudioDeps, streamStudioPackage, uploadStudioLeads } from "./studio.usecases.ts";

const printable = /^[^\u0000-\u001f\u007f]+$/;
const campaignBody = z.object({
  id: z.string({ message: "must be the campaign's id as text" }).regex(campaignIdPattern, { message: "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit" }),
  name: z.string({ message: "must be text" }).trim().min(1, { message: "may not be empty" }).max(200, { message: "may be at most 200 characters" }).regex(printable, { message: "may not contain control characters" }),
  language: z.enum(["ru", "en"], { message: "must be ru or en" }),
  voice: z.string({ message: "must be a voice name as text" }).max(100, { message: "may be at most 100 characters" }).regex(/^[A-Za-z0-9_.+:\/-]+$/, { message: "may hold letters, digits and _ . + : / - only" }).optional(),
});
const scriptBody = z.object({
  slots: z.record(z.string(), z.string({ message: "each slot's text must be text" }).max(scriptLimits.maxTextLength, { message: `may be at most ${scriptLimits.maxTextLength} characters` })),
  rephrase: z.boolean({ message: "must be true or false" }).default(false),
});
const idParameter = z.string().regex(campaignIdPattern, { message: "the campaign id in the path is not a valid id" });

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, or an operator's session (whose writes must come from the
 * core's own pages). Without a configured token the bearer form is off, never open.
 */
export function requireStudioCaller(deps: { adminToken: string | undefined; sessions: SessionDeps }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined && sessionTokenOf(c, deps.sessions.node) !== null) {
      await requireOperator(c, deps.sessions);
      return next();
    }
    if (!deps.adminToken) throw forbidden("studio.disabled", "the studio API takes an operator session only: set ADMIN_TOKEN to call it with a token");
    const given = bearerTokenOf(header);
    if (!given) throw unauthorized("auth.missing_token", "an Authorization: Bearer <token> header or an operator session is required");
    if (!tokensMatch(given, deps.adminToken)) throw unauthorized("auth.invalid_token", "the token is not valid for the studio API");
    return next();
  };
}

function presentCampaign(view: StudioCampaignView) {
  const { campaign, progress } = view;
  return {
    id: campaign.id,
    name: campaign.name,
    language: campaign.language,
    voice: campaign.voice,
    state: campaign.state,
    slots: campaign.script,
    rephrase: campaign.rephrase,
    columns: campaign.columns,
    progress: {
      leads_total: progress.total,
      leads_done: progress.done,
      leads_failed: progress.failed,
      failures: progress.failures.map((failure) => ({ lead_id: failure.leadId, reason: failure.reason })),
    },
    created_at: isoTime(campaign.createdAt),
    updated_at: isoTime(campaign.updatedAt),
  };
}

const campaignIdOf = (c: Context) => idParameter.parse(c.req.param("id"));

export function registerStudioRoutes(app: HttpApp, deps: StudioDeps & { adminToken: string | undefined; sessions: SessionDeps }): void {
  app.use("/api/v1/studio/*", requireStudioCaller(deps));

  app.post("/api/v1/studio/campaigns", async (c) => {
    const body = await readJsonBody(c, campaignBody);
    const campaign = await createStudioCampaign(deps, body);
    return c.json(presentCampaign({ campaign, leads: 0, progress: { total: 0, done: 0, failed: 0, failures: [] } }), 201);
  });

  app.get("/api/v1/studio/campaigns/:id", async (c) => c.json(presentCampaign(await getStudioCampaign(deps, campaignIdOf(c)))));

  app.put("/api/v1/studio/campaigns/:id/leads", async (c) => {
    const id = campaignIdOf(c);
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "text/csv") throw new AppError("request.unsupported_media_type", 415, "send the leads as Content-Type: text/csv");
    const uploaded = await uploadStudioLeads(deps, id, new Uint8Array(await c.req.arrayBuffer()));
    return c.json({ leads: uploaded.leads, columns: uploaded.columns });
  });

  app.put("/api/v1/studio/campaigns/:id/script", async (c) => {
    const id = campaignIdOf(c);
    const body = await readJsonBody(c, scriptBody);
    await setStudioScript(deps, id, body);
    return c.json(presentCampaign(await getStudioCampaign(deps, id)));
  });

  app.post("/api/v1/studio/campaigns/:id/generate", async (c) => c.json(presentCampaign(await startStudioGeneration(deps, campaignIdOf(c))), 202));

  app.get("/api/v1/studio/campaigns/:id/package", async (c) => {
    const { campaign, body } = await streamStudioPackage(deps, campaignIdOf(c));
    return new Response(body, { headers: { "content-type": "application/zip", "content-disposition": `attachment; filename="${campaign.id}.zip"` } });
  });
}
