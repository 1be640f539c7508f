import { z } from "zod";

/**
 * Core → edge: a campaign package pushed to an edge's machine import endpoint, authenticated with an
 * API key made on that edge (`salescontrol-edge api-key add <name>`), never an operator's cookie.
 *
 *   GET  /api/v1/campaign-packages        checks the key; answers what the edge serves and accepts
 *   POST /api/v1/campaign-packages        the package as the raw body (application/zip, Content-Length
 *                                         required, X-File-Name optional) → 202 {import_id, status_url}
 *   GET  /api/v1/campaign-packages/{id}   the import's state; its report once it has finished
 *   header: Authorization: Bearer <edge API key>
 *
 * The import is the one the importer page runs (same checks, same atomic switch). Errors use the
 * envelope {"error":{"code","message","requestId"}}.
 */
export const campaignPackagesPath = "/api/v1/campaign-packages";

export const edgeImportOutcomes = ["deployed", "rejected", "failed"] as const;
export type EdgeImportOutcome = (typeof edgeImportOutcomes)[number];

const problem = z.object({ code: z.string(), message: z.string() }).passthrough();

/** The edge's import report: the fields a caller acts on are fixed; the rest passes through as the edge wrote it. */
export const edgeImportReportSchema = z
  .object({
    import_id: z.number().int(),
    outcome: z.enum(edgeImportOutcomes),
    campaign: z.object({ id: z.string(), name: z.string() }).nullable(),
    problems: z.array(problem),
    problem_count: z.number().int(),
  })
  .passthrough();
export type EdgeImportReport = z.infer<typeof edgeImportReportSchema>;

export const edgeServedCampaignSchema = z.object({
  campaign: z.object({ import_id: z.number().int(), id: z.string(), name: z.string(), leads: z.number().int() }).nullable(),
  max_package_bytes: z.number().int(),
});

export const pushedImportStartedSchema = z.object({ import_id: z.number().int(), status_url: z.string() });

export const pushedImportStatusSchema = z.object({
  import_id: z.number().int(),
  state: z.enum(["running", "active", "previous", "retired", "failed"]),
  phase: z.string(),
  /** Null while the import runs. */
  report: edgeImportReportSchema.nullable(),
});
export type PushedImportStatus = z.infer<typeof pushedImportStatusSchema>;
