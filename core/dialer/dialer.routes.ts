import { readFile } from "node:fs/promises";
import type { Context } from "hono";
import AccessToken from "twilio/lib/jwt/AccessToken.js";
import { z } from "zod";
import { currentOperator, type SessionDeps } from "../../shared/accounts/operator-session.ts";
import { campaignIdPattern } from "../../shared/contracts/campaign-package.ts";
import { AppError, badRequest, notFound } from "../../shared/http/app-error.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import type { CampaignSocket } from "../campaign-socket/campaign-socket.ts";
import { requireStudioCaller } from "../studio/studio.routes.ts";
import { renderCorePage } from "../pages/core-page.ts";
import { dialerConsoleMain, dialerConsoleWords } from "./dialer-console.page.ts";
import { holdMusicWav } from "./hold-music.ts";
import {
  agentJoined,
  callStatusChanged,
  createDialerCampaign,
  customerAnswered,
  customerJoinConference,
  detectionResult,
  type DialerDeps,
  dialerCampaignView,
  dialNext,
  endCampaign,
  presentCall,
  requireCampaign,
  saveDisposition,
} from "./dialer.usecases.ts";
import { verifiedWebhookParams } from "./twilio-webhooks.ts";

const printable = /^[^\u0000-\u001f\u007f]+$/;
/** E.164 as Twilio dials it, with the spaces, dashes and brackets people type taken out. */
const phoneNumber = z
  .string({ message: "must be a phone number as text" })
  .transform((value) => value.replace(/[\s().-]/g, ""))
  .pipe(z.string().regex(/^\+?[1-9]\d{6,14}$/, { message: "must be a phone number in E.164 form, such as +15551230001" }));
const maxContacts = 100_000;

const campaignBody = z
  .object({
    name: z.string({ message: "must be text" }).trim().min(1, { message: "may not be empty" }).max(200, { message: "may be at most 200 characters" }).regex(printable, { message: "may not contain control characters" }).optional(),
    contacts: z
      .array(z.object({ phone_number: phoneNumber, name: z.string({ message: "must be text" }).max(200, { message: "may be at most 200 characters" }).regex(printable, { message: "may not contain control characters" }).nullable().optional() }), { message: "must be a list of contacts" })
      .min(1, { message: "must hold at least one contact" })
      .max(maxContacts, { message: `may hold at most ${maxContacts} contacts` })
      .optional(),
    campaign_id: z.string({ message: "must be a campaign id as text" }).regex(campaignIdPattern, { message: "must be a studio campaign's id" }).optional(),
    tenant_id: z.string({ message: "must be a tenant id as text" }).min(1).max(100).nullable().optional(),
    lines_per_agent: z.number({ message: "must be a whole number" }).int({ message: "must be a whole number" }).min(1, { message: "must be at least 1" }).max(10, { message: "may be at most 10" }).default(2),
    machine_policy: z.enum(["hangup", "voicemail"], { message: "must be hangup or voicemail" }).default("hangup"),
    unknown_policy: z.enum(["connect", "hangup"], { message: "must be connect or hangup" }).default("connect"),
    wait_limit_seconds: z.number({ message: "must be a whole number" }).int({ message: "must be a whole number" }).min(1, { message: "must be at least 1" }).max(300, { message: "may be at most 300" }).default(10),
  })
  .superRefine((body, context) => {
    if ((body.contacts === undefined) === (body.campaign_id === undefined)) context.addIssue({ code: "custom", path: ["contacts"], message: "send either contacts or the campaign_id of a studio campaign" });
    if (body.contacts !== undefined && body.name === undefined) context.addIssue({ code: "custom", path: ["name"], message: "is required with contacts" });
  });
const dispositionBody = z.object({
  call_id: z.string({ message: "must be the call's id as text" }).uuid({ message: "must be a call id from the campaign's calls" }),
  disposition: z.string({ message: "must be a status as text" }).trim().regex(/^[A-Za-z0-9_]{1,20}$/, { message: "must be 1 to 20 letters, digits or _ (SALE, NI, CALLBK, …)" }).transform((value) => value.toUpperCase()),
});
const tokenBody = z.object({ identity: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, { message: "must be 1 to 64 letters, digits or _ . @ -" }).optional() });
const campaignParameter = z.string().regex(campaignIdPattern, { message: "the campaign id in the path is not a valid id" });
const callIdParameter = z.string().uuid({ message: "the call id is not valid" });

let holdMusic: Uint8Array | null = null;
/** Where the Voice SDK signals, reports and fetches its sounds. */
const twilioVoiceSources = ["https://*.twilio.com", "wss://*.twilio.com"];

function dialerOf(deps: { dialer: DialerDeps | null }): DialerDeps {
  if (!deps.dialer) throw new AppError("dialer.not_configured", 503, "the Twilio dialer is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER and BASE_URL");
  return deps.dialer;
}

const twiml = (c: Context, body: string) => c.body(body, 200, { "content-type": "text/xml; charset=utf-8" });
const callIdOf = (c: Context) => {
  const value = c.req.query("call");
  return value === undefined ? undefined : callIdParameter.parse(value);
};

export interface DialerRouteDeps {
  dialer: DialerDeps | null;
  socket: CampaignSocket;
  adminToken: string | undefined;
  sessions: SessionDeps;
  studioLeads(campaignId: string): Promise<Array<{ leadId: number; phoneNumber: string; name: string | null }> | null>;
  tenantExists(id: string): Promise<boolean>;
}

/** Seed 003's endpoints: campaigns for operators (or ADMIN_TOKEN), voice webhooks for Twilio (signed). */
export function registerDialerRoutes(app: HttpApp, deps: DialerRouteDeps): void {
  const caller = requireStudioCaller(deps, { feature: "dialer", name: "the dialer API", writesNeedAdmin: false });
  // The campaign socket opens for dialer campaigns too; operators and scripts get the campaign's state on connect (listening-room links do not).
  deps.socket.addCampaignLookup(async (campaignId) => deps.dialer !== null && (await deps.dialer.dialer.findCampaign(campaignId)) !== null);
  deps.socket.onOpen(async (connection) => {
    if (!deps.dialer || connection.caller.kind === "listener") return [];
    const campaign = await deps.dialer.dialer.findCampaign(connection.campaignId);
    return campaign ? [{ type: "dialer_snapshot", campaign_id: campaign.id, campaign: await dialerCampaignView(deps.dialer, campaign) }] : [];
  });
  app.use("/api/campaign", caller);
  app.use("/api/campaign/*", caller);
  app.use("/api/token", caller);

  app.post("/api/campaign", async (c) => {
    const dialer = dialerOf(deps);
    const body = await readJsonBody(c, campaignBody);
    const campaign = await createDialerCampaign(dialer, { ...body, name: body.name ?? body.campaign_id! }, deps);
    return c.json(await dialerCampaignView(dialer, campaign), 201);
  });
  app.get("/api/campaign/:id", async (c) => {
    const dialer = dialerOf(deps);
    return c.json(await dialerCampaignView(dialer, await requireCampaign(dialer, campaignParameter.parse(c.req.param("id")))));
  });
  app.post("/api/campaign/:id/dial-next", async (c) => c.json(await dialNext(dialerOf(deps), campaignParameter.parse(c.req.param("id")))));
  app.post("/api/campaign/:id/disposition", async (c) => {
    const id = campaignParameter.parse(c.req.param("id"));
    const body = await readJsonBody(c, dispositionBody);
    return c.json(presentCall(await saveDisposition(dialerOf(deps), id, body)));
  });
  app.post("/api/campaign/:id/end", async (c) => c.json(await endCampaign(dialerOf(deps), campaignParameter.parse(c.req.param("id")))));

  // The agent console: for a signed-in operator, whose name is their phone's identity.
  app.get("/dialer/:campaign_id", async (c) => {
    const campaignId = campaignParameter.parse(c.req.param("campaign_id"));
    const operator = await currentOperator(c, deps.sessions);
    if (!operator) return c.redirect(`/login?next=${encodeURIComponent(`/dialer/${campaignId}`)}`);
    return renderCorePage(c, {
      page: "dialer-console",
      titleKey: "console.title",
      operator: operator.username,
      signedIn: true,
      words: dialerConsoleWords,
      data: { campaignId, agent: operator.username },
      connectSources: twilioVoiceSources,
      main: (say) => dialerConsoleMain(say),
    });
  });

  app.post("/api/token", async (c) => {
    const dialer = dialerOf(deps);
    const { accountSid } = dialer.settings;
    const { apiKey, apiSecret, twimlAppSid } = dialer.settings;
    if (!apiKey || !apiSecret || !twimlAppSid) throw new AppError("dialer.tokens_not_configured", 503, "Voice access tokens need TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_TWIML_APP_SID");
    const body = await readJsonBody(c, tokenBody);
    const operator = await currentOperator(c, deps.sessions);
    const identity = operator?.username ?? body.identity;
    if (!identity) throw badRequest("dialer.identity_required", 'with the admin token, name the agent: {"identity": "alice"}');
    const token = new AccessToken(accountSid, apiKey, apiSecret, { identity, ttl: 3600 });
    token.addGrant(new AccessToken.VoiceGrant({ outgoingApplicationSid: twimlAppSid, incomingAllow: true }));
    return c.json({ token: token.toJwt(), identity, expires_in: 3600 });
  });

  // Audio Twilio fetches for <Play>: the queue's music, and a voicemail only while its call is dropping one.
  app.get("/api/voice/hold-music.wav", (c) => c.body((holdMusic ??= holdMusicWav()) as Uint8Array<ArrayBuffer>, 200, { "content-type": "audio/wav", "cache-control": "public, max-age=86400" }));
  app.get("/api/voice/voicemail/:file", async (c) => {
    const dialer = dialerOf(deps);
    const match = /^([0-9a-f-]{36})\.wav$/.exec(c.req.param("file"));
    const call = match ? await dialer.dialer.findCall(match[1]!) : null;
    if (!call || call.reason !== "voicemail") throw notFound("dialer.voicemail_not_found", "no voicemail is being dropped on this call");
    const file = await dialer.voicemailFileOf(await requireCampaign(dialer, call.campaignId), call.position);
    if (!file) throw notFound("dialer.voicemail_not_found", "the lead has no spoken voicemail line");
    return c.body(new Uint8Array(await readFile(file)), 200, { "content-type": "audio/wav" });
  });

  const webhook = (path: string, handle: (dialer: DialerDeps, callId: string | undefined, params: Record<string, string>, c: Context) => Promise<Response>) =>
    app.post(path, async (c) => {
      const dialer = dialerOf(deps);
      const params = await verifiedWebhookParams(c, dialer.settings);
      return await handle(dialer, callIdOf(c), params, c);
    });
  webhook("/api/voice/customer-queue", async (dialer, callId, params, c) => twiml(c, await customerAnswered(dialer, callId, params)));
  webhook("/api/voice/amd-status", async (dialer, callId, params, c) => {
    await detectionResult(dialer, callId, params);
    return c.body(null, 204);
  });
  webhook("/api/voice/customer-join-conference", async (dialer, callId, params, c) => twiml(c, await customerJoinConference(dialer, callId, params)));
  webhook("/api/voice/status", async (dialer, callId, params, c) => {
    await callStatusChanged(dialer, callId, params);
    return c.body(null, 204);
  });
  webhook("/api/voice/dial", async (dialer, _callId, params, c) => twiml(c, await agentJoined(dialer, params)));
}
