import { notFound } from "../../shared/http/app-error.ts";
import type { CallsDeps } from "./calls.usecases.ts";
import { type CallOutcome, outcomeOfStatus } from "./dispositions.ts";

/** Gives a status the tenant's own meaning, and re-derives the results already stored with it. */
export async function setDispositionOverride(deps: Pick<CallsDeps, "calls" | "clock">, tenantId: string, status: string, result: CallOutcome) {
  await deps.calls.setDispositionOverride(tenantId, status, result, deps.clock.now());
  const recomputed = await deps.calls.recomputeResults(tenantId, status, result);
  return { status, result, source: "tenant" as const, recomputed };
}

/** Returns a status to its built-in meaning. */
export async function deleteDispositionOverride(deps: Pick<CallsDeps, "calls">, tenantId: string, status: string) {
  if (!(await deps.calls.deleteDispositionOverride(tenantId, status))) throw notFound("dispositions.not_overridden", `status ${status} has no tenant mapping`);
  const result = outcomeOfStatus(status, new Map());
  const recomputed = await deps.calls.recomputeResults(tenantId, status, result);
  return { status, result, source: "default" as const, recomputed };
}
