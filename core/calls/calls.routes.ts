import { z } from "zod";
import {
  callResultInput,
  callResultOf,
  callResultsBatchPath,
  callResultsBatchRequest,
  callResultsPath,
  type BatchItemResult,
  type CallResultResponse,
  type CallResultsBatchResponse,
  didOptimizerHealthPath,
  type DidOptimizerHealthResponse,
  parseCallResultsBatch,
} from "../../shared/contracts/call-results.ts";
import { AppError } from "../../shared/http/app-error.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import { requireApiKey } from "../tenants/api-key.middleware.ts";
import type { TenantsDeps } from "../tenants/tenants.usecases.ts";
import type { CallsDeps } from "./calls.usecases.ts";
import { getCallResultWithHistory, recordCallResults } from "./calls.usecases.ts";
import { callOutcomes } from "./dispositions.ts";
import { deleteDispositionOverride, listDispositions, setDispositionOverride } from "./dispositions.usecases.ts";

export interface CallRoutesDeps extends CallsDeps, TenantsDeps {
  startedAt: number;
  checkDatabase(): Promise<void>;
}

const statusParam = z
  .string()
  .trim()
  .min(1)
  .max(20)
  .regex(/^[A-Za-z0-9_-]+$/, { message: "a status is letters, digits, _ or -" })
  .transform((status) => status.toUpperCase());
const overrideBody = z.object({ result: z.enum(callOutcomes, { message: `result must be one of ${callOutcomes.join(", ")}` }) }).strict();

export function registerCallResultRoutes(app: HttpApp, deps: CallRoutesDeps): void {
  app.post(callResultsPath, requireApiKey(deps, "call_results"), async (c) => {
    const row = callResultOf(await readJsonBody(c, callResultInput));
    const [recorded] = await recordCallResults(deps, c.get("apiKeyOwner").tenant.id, [row]);
    const body: CallResultResponse = {
      success: true,
      message: recorded!.outcome === "unchanged" ? "Call result already recorded" : "Call result recorded",
      data: { recordId: recorded!.recordId, uniqueid: recorded!.uniqueid, disposition: recorded!.disposition, result: recorded!.result, outcome: recorded!.outcome },
    };
    return c.json(body);
  });

  app.post(callResultsBatchPath, requireApiKey(deps, "call_results"), async (c) => {
    const { results } = await readJsonBody(c, callResultsBatchRequest);
    const parsed = parseCallResultsBatch(results);
    const recorded = await recordCallResults(deps, c.get("apiKeyOwner").tenant.id, parsed.valid.map((row) => row.value));
    const items: BatchItemResult[] = new Array(results.length);
    parsed.valid.forEach((row, position) => {
      const entry = recorded[position]!;
      items[row.index] = { index: row.index, uniqueid: entry.uniqueid, outcome: entry.outcome, recordId: entry.recordId };
    });
    for (const rejected of parsed.rejected) {
      items[rejected.index] = { index: rejected.index, uniqueid: rejected.uniqueid, outcome: "rejected", error: { code: "call_results.invalid", message: rejected.message } };
    }
    const count = (outcome: BatchItemResult["outcome"]) => items.filter((item) => item.outcome === outcome).length;
    const body: CallResultsBatchResponse = {
      success: true,
      message: `${parsed.valid.length} of ${results.length} call results recorded`,
      data: { received: results.length, created: count("created"), updated: count("updated"), unchanged: count("unchanged"), rejected: count("rejected"), results: items },
    };
    return c.json(body);
  });

  app.get(`${callResultsPath}/:uniqueid`, requireApiKey(deps, "stats"), async (c) => {
    const uniqueid = callResultInput.shape.uniqueid.parse(c.req.param("uniqueid"));
    const { record, changes } = await getCallResultWithHistory(deps, c.get("apiKeyOwner").tenant.id, uniqueid);
    const { contentHash: _hash, phoneKey: _key, ...visible } = record;
    return c.json({
      success: true,
      data: { ...visible, recordId: String(record.id), createdAt: isoTime(record.createdAt), updatedAt: isoTime(record.updatedAt) },
      history: changes.map((change) => ({ revision: change.revision, changedAt: isoTime(change.changedAt), changes: change.changes })),
    });
  });

  // The seed's check: `curl -X POST …/api/v1/health -H "x-api-key: …"` proves the key and the database.
  app.post(didOptimizerHealthPath, requireApiKey(deps, null), async (c) => {
    try {
      await deps.checkDatabase();
    } catch {
      throw new AppError("health.database_unavailable", 503, "the core's database is not answering");
    }
    const tenant = c.get("apiKeyOwner").tenant;
    const body: DidOptimizerHealthResponse = {
      success: true,
      status: "healthy",
      timestamp: new Date(deps.clock.now()).toISOString(),
      database: "connected",
      uptime: Math.round((deps.clock.now() - deps.startedAt) / 1000),
      tenant: { id: tenant.id, name: tenant.name },
    };
    return c.json(body);
  });

  app.get("/api/v1/dispositions", requireApiKey(deps, "stats"), async (c) => {
    return c.json({ success: true, default: "completed", data: await listDispositions(deps, c.get("apiKeyOwner").tenant.id) });
  });

  app.put("/api/v1/dispositions/:status", requireApiKey(deps, "manage"), async (c) => {
    const status = statusParam.parse(c.req.param("status"));
    const { result } = await readJsonBody(c, overrideBody);
    return c.json({ success: true, data: await setDispositionOverride(deps, c.get("apiKeyOwner").tenant.id, status, result) });
  });

  app.delete("/api/v1/dispositions/:status", requireApiKey(deps, "manage"), async (c) => {
    const status = statusParam.parse(c.req.param("status"));
    return c.json({ success: true, data: await deleteDispositionOverride(deps, c.get("apiKeyOwner").tenant.id, status) });
  });
}
