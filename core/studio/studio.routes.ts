import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { currentOperator, requireOperator, type SessionDeps, sessionTokenOf } from "../../shared/accounts/operator-session.ts";
import { campaignIdPattern } from "../../shared/contracts/campaign-package.ts";
import { AppError, forbidden, unauthorized } from "../../shared/http/app-error.ts";
import type { AppEnv, HttpApp } from "../../shared/http/create-http-app.ts";
import { bearerTokenOf, bearerTokenPattern, tokensMatch } from "../../shared/http/bearer-token.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { readFile, stat } from "node:fs/promises";
import { respondWithRepresentation } from "../../shared/http/http-representation.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import { scriptLimits, scriptSlotPattern } from "./studio-script.ts";
import type { StudioEdge } from "./studio-edges.repository.ts";
import { addStudioEdge, type PublishDeps, publishStudioCampaign, removeStudioEdge } from "./studio-publish.usecases.ts";
import type { StudioLeadReview } from "./studio.repository.ts";
import {
  createStudioCampaign,
  editStudioLeadTexts,
  getStudioCampaign,
  listStudioCampaigns,
  regenerateStudioLead,
  reviewStudioLeads,
  setStudioScript,
  startStudioGeneration,
  type StudioCampaignView,
  streamStudioPackage,
  studioLeadAudioPath,
  uploadStudioLeads,
} from "./studio.usecases.ts";

const printable = /^[^\u0000-\u001f\u007f]+$/;
const campaignBody = z.object({
  id: z.string({ message: "must be the campaign's id as text" }).regex(campaignIdPattern, { message: "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit" }),
  name: z.string({ message: "must be text" }).trim().min(1, { message: "may not be empty" }).max(200, { message: "may be at most 200 characters" }).regex(printable, { message: "may not contain control characters" }),
  language: z.enum(["ru", "en"], { message: "must be ru or en" }),
  ulaw: z.boolean({ message: "must be true or false" }).optional(),
  voice: z.string({ message: "must be a voice name as text" }).max(100, { message: "may be at most 100 characters" }).regex(/^[A-Za-z0-9_.+:\/-]+$/, { message: "may hold letters, digits and _ . + : / - only" }).optional(),
});
const scriptBody = z.object({
  slots: z.record(z.string(), z.string({ message: "each slot's text must be text" }).max(scriptLimits.maxTextLength, { message: `may be at most ${scriptLimits.maxTextLength} characters` })),
  rephrase: z.boolean({ message: "must be true or false" }).default(false),
  /** Absent: the campaign keeps its setting. */
  ulaw: z.boolean({ message: "must be true or false" }).optional(),
});
const edgeUrl = z
  .string({ message: "must be the edge's base URL as text" })
  .max(500, { message: "may be at most 500 characters" })
  .transform((text, context) => {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      context.addIssue({ code: "custom", message: "must be an http:// or https:// URL such as http://vici1.example:8001" });
      return z.NEVER;
    }
    if (!["http:", "https:"].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
      context.addIssue({ code: "custom", message: "must be an http:// or https:// URL without user name, password, query or fragment" });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  });
const edgeBody = z.object({
  name: z.string({ message: "must be text" }).trim().min(1, { message: "may not be empty" }).max(100, { message: "may be at most 100 characters" }).regex(printable, { message: "may not contain control characters" }),
  url: edgeUrl,
  api_key: z
    .string({ message: "must be the API key made on the edge (salescontrol-edge api-key add <name>)" })
    .min(16, { message: "must be at least 16 characters" })
    .max(256, { message: "may be at most 256 characters" })
    .regex(bearerTokenPattern, { message: "must be printable ASCII without spaces" }),
});
const publishBody = z.object({ edge_id: z.number({ message: "must be an edge's id (a number)" }).int({ message: "must be a whole number" }).min(1, { message: "must be an edge's id" }) });
const edgeIdParameter = z.coerce.number({ message: "the edge id in the path must be a number" }).int().min(1).max(Number.MAX_SAFE_INTEGER);
const idParameter = z.string().regex(campaignIdPattern, { message: "the campaign id in the path is not a valid id" });
const leadIdParameter = z.coerce.number({ message: "the lead id in the path must be a number" }).int({ message: "the lead id in the path must be a whole number" }).positive({ message: "the lead id in the path must be positive" }).max(Number.MAX_SAFE_INTEGER);
const slotParameter = z.string().regex(scriptSlotPattern, { message: "the slot in the path is not a slot name (lowercase letters, digits and _)" });
const leadsQuery = z.object({
  cursor: z.string().regex(/^\d{1,15}$/, { message: "must be the next_cursor of the page before" }).optional(),
  limit: z.coerce.number({ message: "must be a number" }).int({ message: "must be a whole number" }).min(1, { message: "must be at least 1" }).max(200, { message: "may be at most 200" }).default(50),
});
const textsBody = z.object({
  texts: z.record(z.string(), z.string({ message: "each slot's text must be text, or null to go back to the script's" }).nullable(), { message: "must be an object of slot → text" }),
});

/**
 * `Authorization: Bearer <ADMIN_TOKEN>`, or an operator's session (whose writes must come from the
 * core's own pages, and from an admin: a viewer only looks). Without a configured token the bearer
 * form is off, never open.
 */
export function requireStudioCaller(
  deps: { adminToken: string | undefined; sessions: SessionDeps },
  api: { feature: string; name: string; writesNeedAdmin: boolean } = { feature: "studio", name: "the studio API", writesNeedAdmin: true },
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined && sessionTokenOf(c, deps.sessions.node) !== null) {
      const operator = await requireOperator(c, deps.sessions);
      if (api.writesNeedAdmin && operator.role !== "admin" && c.req.method !== "GET" && c.req.method !== "HEAD") {
        throw forbidden(`${api.feature}.admin_required`, `your account may look at ${api.name} but not change anything through it; ask an administrator for the admin role`);
      }
      return next();
    }
    if (!deps.adminToken) throw forbidden(`${api.feature}.disabled`, `${api.name} takes an operator session only: set ADMIN_TOKEN to call it with a token`);
    const given = bearerTokenOf(header);
    if (!given) throw unauthorized("auth.missing_token", "an Authorization: Bearer <token> header or an operator session is required");
    if (!tokensMatch(given, deps.adminToken)) throw unauthorized("auth.invalid_token", `the token is not valid for ${api.name}`);
    return next();
  };
}

/**
 * Edges hold API keys and publishing replaces what an edge serves: an operator session must be an
 * admin seeing everything (ADMIN_TOKEN callers are admins).
 */
export function requireStudioAdmin(sessions: SessionDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.header("authorization") === undefined) {
      const operator = await currentOperator(c, sessions);
      if (operator && (operator.role !== "admin" || operator.scope !== null)) throw forbidden("studio.admin_required", "only an admin operator with access to everything may manage edges and publish to them");
    }
    return next();
  };
}

function presentEdge(edge: StudioEdge) {
  return { id: edge.id, name: edge.name, url: edge.url, created_at: isoTime(edge.createdAt) };
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
    ulaw: campaign.ulaw,
    columns: campaign.columns,
    progress: {
      leads_total: progress.total,
      leads_done: progress.done,
      leads_failed: progress.failed,
      failures: progress.failures.map((failure) => ({ lead_id: failure.leadId, code: failureCodeOf(failure.reason), reason: failure.reason })),
    },
    created_at: isoTime(campaign.createdAt),
    updated_at: isoTime(campaign.updatedAt),
  };
}

/** The code a lead's failure starts with ("tts.timeout: …", "studio.lead_field_missing: …"), for pages to word it; null when it has none. */
function failureCodeOf(reason: string): string | null {
  return /^([a-z]+(?:\.[a-z_]+)+): /.exec(reason)?.[1] ?? null;
}

function presentLead(review: StudioLeadReview, campaignId: string) {
  const { lead } = review;
  const base = `/api/v1/studio/campaigns/${encodeURIComponent(campaignId)}/leads/${lead.leadId}`;
  return {
    lead_id: lead.leadId,
    row_number: lead.rowNumber,
    phone_number: lead.phoneNumber,
    vendor_lead_code: lead.vendorLeadCode,
    fields: lead.fields,
    state: review.state,
    failure: review.failure,
    failure_code: review.failure === null ? null : failureCodeOf(review.failure),
    /** Slot → the words written for this lead alone. */
    texts: review.texts,
    lines: review.lines.map((line) => ({ slot: line.slot, text: line.text, source: line.source, audio_url: line.clipKey ? `${base}/audio/${line.slot}` : null })),
  };
}

const campaignIdOf = (c: Context) => idParameter.parse(c.req.param("id"));
const leadIdOf = (c: Context) => leadIdParameter.parse(c.req.param("lead_id"));

export function registerStudioRoutes(app: HttpApp, deps: PublishDeps & { adminToken: string | undefined; sessions: SessionDeps }): void {
  app.use("/api/v1/studio/*", requireStudioCaller(deps));
  app.use("/api/v1/studio/edges", requireStudioAdmin(deps.sessions));
  app.use("/api/v1/studio/edges/*", requireStudioAdmin(deps.sessions));
  app.use("/api/v1/studio/campaigns/:id/publish", requireStudioAdmin(deps.sessions));

  app.get("/api/v1/studio/edges", async (c) => {
    c.header("Cache-Control", "no-store");
    return c.json({ edges: (await deps.edges.listEdges()).map(presentEdge) });
  });

  app.post("/api/v1/studio/edges", async (c) => {
    const body = await readJsonBody(c, edgeBody);
    return c.json(presentEdge(await addStudioEdge(deps, { name: body.name, url: body.url, apiKey: body.api_key })), 201);
  });

  app.delete("/api/v1/studio/edges/:id", async (c) => {
    return c.json(presentEdge(await removeStudioEdge(deps, edgeIdParameter.parse(c.req.param("id")))));
  });

  app.post("/api/v1/studio/campaigns/:id/publish", async (c) => {
    const id = campaignIdOf(c);
    const body = await readJsonBody(c, publishBody);
    // Writing, sending and the edge's import together can outlast the server's idle timeout.
    c.env?.waitsLong?.();
    const published = await publishStudioCampaign(deps, id, body.edge_id);
    return c.json({ edge_id: published.edgeId, status: published.status, report: published.report });
  });

  app.post("/api/v1/studio/campaigns", async (c) => {
    const body = await readJsonBody(c, campaignBody);
    const campaign = await createStudioCampaign(deps, body);
    return c.json(presentCampaign({ campaign, leads: 0, progress: { total: 0, done: 0, failed: 0, failures: [] } }), 201);
  });

  app.get("/api/v1/studio/campaigns", async (c) => {
    const campaigns = await listStudioCampaigns(deps);
    return c.json({
      campaigns: campaigns.map(({ campaign, leads }) => ({
        id: campaign.id,
        name: campaign.name,
        language: campaign.language,
        voice: campaign.voice,
        state: campaign.state,
        leads,
        slots: Object.keys(campaign.script),
        created_at: isoTime(campaign.createdAt),
        updated_at: isoTime(campaign.updatedAt),
      })),
    });
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

  app.get("/api/v1/studio/campaigns/:id/leads", async (c) => {
    const id = campaignIdOf(c);
    const query = leadsQuery.parse(c.req.query());
    const page = await reviewStudioLeads(deps, id, { after: query.cursor ? Number(query.cursor) : 0, limit: query.limit });
    return c.json({ leads: page.leads.map((lead) => presentLead(lead, id)), next_cursor: page.nextCursor });
  });

  app.get("/api/v1/studio/campaigns/:id/leads/:lead_id/audio/:slot", async (c) => {
    const path = await studioLeadAudioPath(deps, campaignIdOf(c), leadIdOf(c), slotParameter.parse(c.req.param("slot")));
    const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
    // A clip is named by the hash of what it speaks: the same name is the same audio.
    const key = path.slice(path.lastIndexOf("/") + 1, -".wav".length);
    return respondWithRepresentation(c.req.raw, { body: new Blob([bytes]), contentType: "audio/wav", etag: `"${key}"`, lastModified: info.mtimeMs, cacheControl: "private, max-age=300" });
  });

  app.put("/api/v1/studio/campaigns/:id/leads/:lead_id/texts", async (c) => {
    const id = campaignIdOf(c);
    const leadId = leadIdOf(c);
    const body = await readJsonBody(c, textsBody);
    return c.json(presentLead(await editStudioLeadTexts(deps, id, leadId, body.texts), id), 202);
  });

  app.post("/api/v1/studio/campaigns/:id/leads/:lead_id/regenerate", async (c) => {
    const id = campaignIdOf(c);
    return c.json(presentLead(await regenerateStudioLead(deps, id, leadIdOf(c)), id), 202);
  });

  app.get("/api/v1/studio/campaigns/:id/package", async (c) => {
    const { campaign, body } = await streamStudioPackage(deps, campaignIdOf(c));
    return new Response(body, { headers: { "content-type": "application/zip", "content-disposition": `attachment; filename="${campaign.id}.zip"` } });
  });
}
