import { z } from "zod";
import { callResultInput } from "../../shared/contracts/call-results.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import { requireApiKey } from "../tenants/api-key.middleware.ts";
import type { TenantsDeps } from "../tenants/tenants.usecases.ts";
import type { Did } from "./dids.repository.ts";
import { type DidsDeps, type DidWithStats, importDids, listDidsWithStats, loadAreaCodes, selectNextDid, updateDid } from "./dids.usecases.ts";

const printable = /^[^\u0000-\u001f\u007f]+$/;
const campaignId = z
  .string({ message: "must be text of 1 to 20 characters" })
  .trim()
  .min(1, { message: "may not be empty" })
  .max(20, { message: "may be at most 20 characters" })
  .regex(printable, { message: "may not contain control characters" });
const optionalText = (max: number) =>
  z
    .string({ message: `must be text of at most ${max} characters` })
    .trim()
    .max(max, { message: `may be at most ${max} characters` })
    .regex(printable, { message: "may not contain control characters" })
    .optional();
const phone = z
  .string({ message: "must be a phone number as text, such as \"+1 415 555 0101\"" })
  .trim()
  .min(1, { message: "may not be empty" })
  .max(30, { message: "may be at most 30 characters" })
  .regex(/^[+\d\s().-]+$/, { message: "must be a phone number: digits, spaces and + ( ) . - only, such as \"+1 415 555 0101\"" });
const state = z.string({ message: "must be a two-letter state code such as CA" }).trim().regex(/^[A-Za-z]{2}$/, { message: "must be a two-letter state code such as CA" });
const latitude = z.number({ message: "must be a number of degrees from -90 to 90" }).min(-90, { message: "must be from -90 to 90 degrees" }).max(90, { message: "must be from -90 to 90 degrees" });
const longitude = z.number({ message: "must be a number of degrees from -180 to 180" }).min(-180, { message: "must be from -180 to 180 degrees" }).max(180, { message: "must be from -180 to 180 degrees" });

const nextQuery = z.object({
  campaign_id: campaignId,
  customer_phone: phone.optional(),
  customer_state: state.optional(),
  customer_zip: optionalText(10),
  agent_id: optionalText(50),
  lead_id: z.string().trim().regex(/^\d{1,20}$/, { message: "lead_id must be digits" }).optional(),
  uniqueid: z.string().trim().pipe(callResultInput.shape.uniqueid).optional(),
});

const didFields = {
  campaign_id: campaignId.nullable().optional(),
  area_code: z.string({ message: "must be three digits as text" }).regex(/^\d{3}$/, { message: "must be three digits" }).nullable().optional(),
  state: state.nullable().optional(),
  latitude: latitude.nullable().optional(),
  longitude: longitude.nullable().optional(),
  daily_limit: z
    .number({ message: "must be a whole number of calls from 1 to 1000000, or null for no limit" })
    .int({ message: "must be a whole number of calls from 1 to 1000000, or null for no limit" })
    .min(1, { message: "must be at least 1 call a day (null for no limit)" })
    .max(1_000_000, { message: "may be at most 1000000 calls a day" })
    .nullable()
    .optional(),
  active: z.boolean({ message: "must be true or false" }).optional(),
};
const bothOrNeither = (did: { latitude?: number | null; longitude?: number | null }) => (did.latitude == null) === (did.longitude == null);
const didInput = z.object({ phone_number: phone, ...didFields }).strict().refine(bothOrNeither, { message: "give latitude and longitude together" });
const didBatch = z.object({ dids: z.array(didInput, { message: "must be an array of DIDs" }).min(1, { message: "may not be empty" }).max(5000, { message: "may hold at most 5000 DIDs" }) }).strict();
/** One DID, or {dids: [...]}; the body's shape picks the schema, so every problem names its own field. */
const importBody = z.unknown().transform((body, context) => {
  const batch = typeof body === "object" && body !== null && "dids" in body;
  const parsed = batch ? didBatch.safeParse(body) : didInput.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) context.addIssue({ code: "custom", message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return "dids" in parsed.data ? parsed.data : { dids: [parsed.data] };
});
const updateBody = z
  .object(didFields)
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: "give at least one field to change" })
  .refine(bothOrNeither, { message: "give latitude and longitude together" });
const listQuery = z.object({ campaign_id: campaignId.optional(), active: z.enum(["true", "false"]).optional() });
const didIdParam = z.uuid({ message: "DID id must be a UUID" });
const areaCodesBody = z
  .object({
    areaCodes: z
      .array(
        z
          .object({ areaCode: z.string().regex(/^\d{3}$/, { message: "areaCode must be three digits" }), state: state.nullable().optional(), latitude, longitude })
          .strict(),
      )
      .min(1)
      .max(2000),
  })
  .strict();

export function registerDidRoutes(app: HttpApp, deps: DidsDeps & TenantsDeps): void {
  app.get("/api/v1/dids/next", requireApiKey(deps, "dids_next"), async (c) => {
    const query = nextQuery.parse(c.req.query());
    const selection = await selectNextDid(deps, c.get("apiKeyOwner").tenant, {
      campaignId: query.campaign_id,
      customerPhone: query.customer_phone ?? null,
      customerState: query.customer_state?.toUpperCase() ?? null,
      agentId: query.agent_id ?? null,
      leadId: query.lead_id ?? null,
      uniqueid: query.uniqueid ?? null,
    });
    c.header("Cache-Control", "no-store");
    return c.json({
      success: true,
      did: {
        phone_number: selection.did.phoneNumber,
        area_code: selection.did.areaCode,
        state: selection.choice.did.state,
        daily_usage: selection.usedToday,
        daily_limit: selection.did.dailyLimit,
        answer_rate: Math.round(selection.choice.estimatedAnswerRate * 10_000) / 10_000,
      },
      metadata: {
        selection_id: selection.selectionId,
        selection_method: selection.choice.method,
        pool_size: selection.poolSize,
        available: selection.choice.available,
        candidates: selection.choice.tierSize,
        fallback_used: selection.choice.method !== "area_code",
      },
    });
  });

  app.get("/api/v1/dids", requireApiKey(deps, "stats"), async (c) => {
    const query = listQuery.parse(c.req.query());
    const dids = await listDidsWithStats(deps, c.get("apiKeyOwner").tenant, {
      campaignId: query.campaign_id,
      active: query.active === undefined ? undefined : query.active === "true",
    });
    return c.json({ success: true, data: dids.map(didView) });
  });

  app.post("/api/v1/dids", requireApiKey(deps, "manage"), async (c) => {
    const body = await readJsonBody(c, importBody);
    const saved = await importDids(
      deps,
      c.get("apiKeyOwner").tenant.id,
      body.dids.map((did) => ({
        phoneNumber: did.phone_number,
        campaignId: did.campaign_id,
        areaCode: did.area_code,
        state: did.state,
        latitude: did.latitude,
        longitude: did.longitude,
        dailyLimit: did.daily_limit,
        active: did.active,
      })),
    );
    const created = saved.filter((entry) => entry.created).length;
    return c.json({ success: true, created, updated: saved.length - created, data: saved.map((entry) => didView(entry.did)) }, created > 0 ? 201 : 200);
  });

  app.patch("/api/v1/dids/:didId", requireApiKey(deps, "manage"), async (c) => {
    const didId = didIdParam.parse(c.req.param("didId"));
    const body = await readJsonBody(c, updateBody);
    const did = await updateDid(deps, c.get("apiKeyOwner").tenant.id, didId, {
      campaignId: body.campaign_id,
      areaCode: body.area_code,
      state: body.state,
      latitude: body.latitude,
      longitude: body.longitude,
      dailyLimit: body.daily_limit,
      active: body.active,
    });
    return c.json({ success: true, data: didView(did) });
  });

  // Taking a DID out of rotation keeps its history; posting the number again brings it back.
  app.delete("/api/v1/dids/:didId", requireApiKey(deps, "manage"), async (c) => {
    const didId = didIdParam.parse(c.req.param("didId"));
    return c.json({ success: true, data: didView(await updateDid(deps, c.get("apiKeyOwner").tenant.id, didId, { active: false })) });
  });

  app.put("/api/v1/admin/area-codes", async (c) => {
    const body = await readJsonBody(c, areaCodesBody);
    const count = await loadAreaCodes(
      deps,
      body.areaCodes.map((row) => ({ areaCode: row.areaCode, state: row.state?.toUpperCase() ?? null, latitude: row.latitude, longitude: row.longitude })),
    );
    return c.json({ success: true, saved: count });
  });
}

function didView(did: Did | DidWithStats) {
  const withStats = "usedToday" in did;
  return {
    id: did.id,
    phone_number: did.phoneNumber,
    area_code: did.areaCode,
    state: did.state,
    latitude: did.latitude,
    longitude: did.longitude,
    campaign_id: did.campaignId,
    daily_limit: did.dailyLimit,
    active: did.active,
    ...(withStats
      ? { daily_usage: did.usedToday, attempts: did.attempts, answered: did.answered, answer_rate: did.attempts > 0 ? Math.round((did.answered / did.attempts) * 10_000) / 10_000 : null }
      : {}),
    created_at: isoTime(did.createdAt),
    updated_at: isoTime(did.updatedAt),
  };
}
