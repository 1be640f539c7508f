import { notFound } from "../../shared/http/app-error.ts";
import { createCallsRepository } from "./calls.repository.ts";
import type { CallsDeps } from "./calls.usecases.ts";
import { type CallOutcome, defaultDispositionMap, outcomeOfStatus } from "./dispositions.ts";

/** Every status the tenant's calls may carry, with its meaning and where that meaning comes from. */
export async function listDispositions(deps: Pick<CallsDeps, "db">, tenantId: string) {
  const overrides = await createCallsRepository(deps.db).loadDispositionOverrides(tenantId);
  const statuses = [...new Set([...defaultDispositionMap.keys(), ...overrides.keys()])].sort();
  return statuses.map((status) => ({
    status,
    result: overrides.get(status) ?? defaultDispositionMap.get(status)!,
    source: overrides.has(status) ? ("tenant" as const) : ("default" as const),
  }));
}

/** Gives a status the tenant's own meaning, and re-derives the results already stored with it. */
export async function setDispositionOverride(deps: Pick<CallsDeps, "db" | "clock">, tenantId: string, status: string, result: CallOutcome) {
  const calls = createCallsRepository(deps.db);
  await calls.setDispositionOverride(tenantId, status, result, deps.clock.now());
  const recomputed = await calls.recomputeResults(tenantId, status, result);
  return { status, result, source: "tenant" as const, recomputed };
}

/** Returns a status to its built-in meaning. */
export async function deleteDispositionOverride(deps: Pick<CallsDeps, "db">, tenantId: string, status: string) {
  const calls = createCallsRepository(deps.db);
  if (!(await calls.deleteDispositionOverride(tenantId, status))) throw notFound("dispositions.not_overridden", `status ${status} has no tenant mapping`);
  const result = outcomeOfStatus(status, new Map());
  const recomputed = await calls.recomputeResults(tenantId, status, result);
  return { status, result, source: "default" as const, recomputed };
}
