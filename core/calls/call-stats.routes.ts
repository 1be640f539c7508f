import { z } from "zod";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { requireApiKey } from "../tenants/api-key.middleware.ts";
import type { TenantsDeps } from "../tenants/tenants.usecases.ts";
import type { StatsDimension } from "./call-stats.repository.ts";
import { type CallStatsDeps, summarizeOutcomes } from "./call-stats.usecases.ts";

/** A point in time as Unix seconds or an ISO 8601 date/time. */
const instant = z
  .string()
  .trim()
  .transform((value, context) => {
    const seconds = /^\d{9,11}$/.test(value) ? Number(value) : Math.floor(Date.parse(value) / 1000);
    if (!Number.isFinite(seconds)) {
      context.addIssue({ code: "custom", message: "must be Unix seconds or an ISO 8601 date such as 2026-01-15 or 2026-01-15T09:00:00Z" });
      return z.NEVER;
    }
    return seconds;
  });

const statsQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  campaign_id: z.string().trim().min(1).max(20).optional(),
  did: z
    .string()
    .trim()
    .regex(/^\d{7,15}$/, { message: "did must be the DID's digits" })
    .optional(),
});

const keyName: Record<StatsDimension, string> = { did: "did", campaign: "campaignId", hour: "hour" };

export function registerCallStatsRoutes(app: HttpApp, deps: CallStatsDeps & TenantsDeps): void {
  for (const [path, dimension] of [
    ["/api/v1/stats/dids", "did"],
    ["/api/v1/stats/campaigns", "campaign"],
    ["/api/v1/stats/hours", "hour"],
  ] as const) {
    app.get(path, requireApiKey(deps, "stats"), async (c) => {
      const query = statsQuery.parse(c.req.query());
      const summary = await summarizeOutcomes(deps, c.get("apiKeyOwner").tenant.id, dimension, {
        from: query.from,
        to: query.to,
        campaignId: query.campaign_id,
        didNumber: query.did,
      });
      return c.json({
        success: true,
        from: isoTime(summary.from * 1000),
        to: isoTime(summary.to * 1000),
        data: summary.groups.map(({ key, ...stats }) => ({ [keyName[dimension]]: dimension === "hour" && key !== null ? Number(key) : key, ...stats })),
      });
    });
  }
}
