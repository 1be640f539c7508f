import type { Context } from "hono";
import { z } from "zod";
import { uuidString } from "../../shared/contracts/identifiers.ts";
import { bearerTokenOf, tokensMatch } from "../../shared/http/bearer-token.ts";
import { forbidden, unauthorized } from "../../shared/http/app-error.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { respondWithRepresentation } from "../../shared/http/http-representation.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { presentAnalysisFindings } from "../pipeline/analysis/analysis.routes.ts";
import { assertSameOrigin, currentOperator, type SessionDeps, sessionTokenOf } from "../../shared/accounts/operator-session.ts";
import type { OperatorRole } from "../../shared/accounts/accounts.schema.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { requestReanalysis } from "../pipeline/analysis/analysis.usecases.ts";
import { createLearntSchedules, getRecorders } from "./recorders.usecases.ts";
import { getWhatWorks } from "./what-works.usecases.ts";
import type { AppEnv } from "../../shared/http/create-http-app.ts";
import type { PointScope } from "./analytics.repository.ts";
import {
  type AnalyticsDeps,
  type DialogueListQuery,
  getCategories,
  getDaily,
  getDialogueDetail,
  getHourly,
  getOverview,
  getPoints,
  getQualityHistogram,
  listAnalysedDialogues,
  type PeriodQuery,
  requireVisibleDialogue,
} from "./analytics.usecases.ts";
import type { DialogueAudioReader } from "./dialogue-audio-file.ts";

/** Who is calling: which points they may see, and whether they may change things (admins). */
export interface DashboardCaller {
  scope: PointScope;
  role: OperatorRole;
}

export type DashboardCallerResolver = (c: Context) => Promise<DashboardCaller>;

/**
 * `Authorization: Bearer <ADMIN_TOKEN>` is an admin of every point; an operator's session (its cookie)
 * has the account's role and sees the points of its scope, or every point when it has none. A call that
 * changes something with a session must come from the core's own pages. Without a configured token the
 * bearer form is off, never open.
 */
export function dashboardCaller(deps: { adminToken: string | undefined; sessions: SessionDeps }): DashboardCallerResolver {
  return async (c) => {
    const header = c.req.header("authorization");
    if (header === undefined && sessionTokenOf(c as Context<AppEnv>, deps.sessions.node) !== null) {
      if (c.req.method !== "GET" && c.req.method !== "HEAD") assertSameOrigin(c as Context<AppEnv>, deps.sessions.node);
      const operator = await currentOperator(c as Context<AppEnv>, deps.sessions);
      if (!operator) throw unauthorized("auth.required", "the session has ended: sign in again");
      return { scope: operator.scope === null ? { kind: "all" } : { kind: "points", pointIds: operator.scope }, role: operator.role };
    }
    if (!deps.adminToken) throw forbidden("analytics.disabled", "the analytics API is off: set ADMIN_TOKEN to enable it");
    const given = bearerTokenOf(header);
    if (!given) throw unauthorized("auth.missing_token", "an Authorization: Bearer <token> header or an operator session is required");
    if (!tokensMatch(given, deps.adminToken)) throw unauthorized("auth.invalid_token", "the token is not valid for the analytics API");
    return { scope: { kind: "all" }, role: "admin" };
  };
}

const periodQuery = z.object({
  from: z.string().max(40),
  to: z.string().max(40),
  point_id: uuidString.optional(),
  register_id: uuidString.optional(),
});

const whatWorksQuery = periodQuery.extend({ limit: z.coerce.number().int().min(1).max(20).default(5) });
const recordersQuery = z.object({ point_id: uuidString.optional() });

const listQuery = periodQuery.extend({
  upsell: z.enum(["true", "false"]).optional(),
  quality_min: z.coerce.number().int().min(0).max(10).optional(),
  quality_max: z.coerce.number().int().min(0).max(10).optional(),
  category: z.string().min(1).max(100).optional(),
  q: z.string().min(1).max(500).optional(),
  sort: z.enum(["time_desc", "time_asc", "quality_desc", "quality_asc"]).default("time_desc"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(1000).optional(),
});

function periodOfRequest(c: Context): PeriodQuery {
  const query = periodQuery.parse(c.req.query());
  return { from: query.from, to: query.to, pointId: query.point_id, registerId: query.register_id };
}

function listOfRequest(c: Context): DialogueListQuery {
  const query = listQuery.parse(c.req.query());
  return {
    from: query.from,
    to: query.to,
    pointId: query.point_id,
    registerId: query.register_id,
    upsell: query.upsell === undefined ? undefined : query.upsell === "true",
    qualityMin: query.quality_min,
    qualityMax: query.quality_max,
    category: query.category,
    q: query.q,
    sort: query.sort,
    limit: query.limit,
    cursor: query.cursor,
  };
}

type ListedDialogue = Awaited<ReturnType<typeof listAnalysedDialogues>>["rows"][number];

function presentListed(row: ListedDialogue) {
  return {
    dialogue_id: row.dialogueId,
    point_id: row.pointId,
    register_id: row.registerId,
    start_ts: isoTime(row.startTs),
    end_ts: isoTime(row.endTs),
    upsell_attempted: row.upsellAttempted,
    quality_score: row.qualityScore,
    categories: row.categories === "" ? [] : row.categories.split(","),
    customer_reaction: row.customerReaction,
    summary: row.summary,
  };
}

const csvColumns = ["dialogue_id", "point_id", "register_id", "start_ts", "end_ts", "upsell_attempted", "quality_score", "categories", "customer_reaction", "summary"] as const;

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with an apostrophe. */
function csvCell(value: unknown): string {
  let text = Array.isArray(value) ? value.join(";") : value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n;']/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The dashboard's API: totals and charts of a local period, and the analysed dialogues behind them. */
export function registerAnalyticsRoutes(app: HttpApp, deps: AnalyticsDeps & { caller: DashboardCallerResolver; clock: Clock; audio: DialogueAudioReader }): void {
  const callerScope = async (c: Context) => (await deps.caller(c)).scope;
  const learntSchedules = createLearntSchedules();
  const period = (work: (scope: PointScope, query: PeriodQuery) => Promise<unknown>) => async (c: Context) => {
    const scope = await callerScope(c);
    return c.json(await work(scope, periodOfRequest(c)));
  };
  app.get("/api/v1/analytics/overview", period((scope, query) => getOverview(deps, scope, query)));
  app.get("/api/v1/analytics/hourly", period((scope, query) => getHourly(deps, scope, query)));
  app.get("/api/v1/analytics/daily", period((scope, query) => getDaily(deps, scope, query)));
  app.get("/api/v1/analytics/categories", period((scope, query) => getCategories(deps, scope, query)));
  app.get("/api/v1/analytics/quality", period((scope, query) => getQualityHistogram(deps, scope, query)));
  app.get("/api/v1/analytics/points", period((scope, query) => getPoints(deps, scope, query)));

  app.get("/api/v1/analytics/what-works", async (c) => {
    const scope = await callerScope(c);
    const query = whatWorksQuery.parse(c.req.query());
    return c.json(await getWhatWorks(deps, scope, { ...periodOfRequest(c), limit: query.limit }));
  });

  app.get("/api/v1/analytics/recorders", async (c) => {
    const scope = await callerScope(c);
    const query = recordersQuery.parse(c.req.query());
    return c.json(await getRecorders({ ...deps, learntSchedules }, scope, { pointId: query.point_id }));
  });

  app.get("/api/v1/dialogues", async (c) => {
    const scope = await callerScope(c);
    const page = await listAnalysedDialogues(deps, scope, listOfRequest(c));
    return c.json({ timezone: deps.calendar.timezone, dialogues: page.rows.map(presentListed), next_cursor: page.nextCursor });
  });

  app.get("/api/v1/dialogues.csv", async (c) => {
    const scope = await callerScope(c);
    const query = { ...listOfRequest(c), limit: 500 };
    // The first page is read before answering, so bad filters still get their error code.
    let page = await listAnalysedDialogues(deps, scope, query);
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`${csvColumns.join(",")}\r\n`));
      },
      async pull(controller) {
        const lines = page.rows.map((row) => {
          const presented = presentListed(row);
          return `${csvColumns.map((column) => csvCell(presented[column])).join(",")}\r\n`;
        });
        if (lines.length > 0) controller.enqueue(encoder.encode(lines.join("")));
        if (page.nextCursor === null) return controller.close();
        page = await listAnalysedDialogues(deps, scope, { ...query, cursor: page.nextCursor });
      },
    });
    return new Response(body, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="dialogues.csv"' } });
  });

  app.get("/api/v1/dialogues/:dialogue_id", async (c) => {
    const scope = await callerScope(c);
    const { dialogue_id } = z.object({ dialogue_id: uuidString }).parse(c.req.param());
    const { dialogue, transcript, analysis, offers } = await getDialogueDetail(deps, scope, dialogue_id);
    return c.json({
      dialogue_id: dialogue.dialogueId,
      point_id: dialogue.pointId,
      register_id: dialogue.registerId,
      start_ts: isoTime(dialogue.startTs),
      end_ts: isoTime(dialogue.endTs),
      timezone: deps.calendar.timezone,
      transcript: {
        transcript_id: transcript.id,
        text: transcript.text,
        segments: transcript.segments === null ? null : (JSON.parse(transcript.segments) as unknown),
        language: transcript.language,
        audio_ms: transcript.audioMs,
      },
      analysis: {
        /** Every quote's start and end index `transcript.text` (UTF-16 code units). */
        language: analysis.language,
        method: analysis.method,
        ...presentAnalysisFindings(analysis, offers, deps.settings),
        created_at: isoTime(analysis.createdAt),
      },
    });
  });

  /** The dashboard's re-analyse button: admins only, and only a dialogue of a point they may see. */
  app.post("/api/v1/dialogues/:dialogue_id/reanalyse", async (c) => {
    const caller = await deps.caller(c);
    const { dialogue_id } = z.object({ dialogue_id: uuidString }).parse(c.req.param());
    await requireVisibleDialogue(deps, caller.scope, dialogue_id);
    if (caller.role !== "admin") throw forbidden("dialogues.reanalyse_forbidden", "only an admin may ask for a dialogue to be analysed again");
    const queued = await requestReanalysis(deps, dialogue_id);
    return c.json({ status: "queued" as const, pass: queued.pass, already_queued: !queued.queued }, 202);
  });

  app.get("/api/v1/dialogues/:dialogue_id/audio", async (c) => {
    const scope = await callerScope(c);
    const { dialogue_id } = z.object({ dialogue_id: uuidString }).parse(c.req.param());
    const audio = await deps.audio.read(scope, dialogue_id);
    return respondWithRepresentation(c.req.raw, {
      body: new Blob([audio.wav]),
      contentType: "audio/wav",
      etag: `"${audio.dialogueId}-${audio.revision}"`,
      lastModified: audio.updatedAt,
      cacheControl: "private, max-age=300",
    });
  });
}
