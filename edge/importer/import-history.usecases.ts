import type { Client } from "@libsql/client";
import { notFound } from "../../shared/http/app-error.ts";
import { listRollbacks, type RollbackRecord } from "../campaigns/campaigns.repository.ts";
import { findImport, findRunningImport, type ImportRecord, listImports } from "./import.repository.ts";

/** What reading the import history takes: the edge's database. */
export interface ImportHistoryDeps {
  client: Client;
}

/**
 * One page of the import history, newest first and without reports (they can be large: read one
 * import for its report), with the rollbacks since the oldest import listed, so both show in order.
 */
export async function listImportHistory(deps: ImportHistoryDeps, page: { limit: number; beforeId?: number }): Promise<{ imports: ImportRecord[]; rollbacks: RollbackRecord[] }> {
  const imports = await listImports(deps.client, page);
  const oldest = imports.at(-1)?.startedAt ?? 0;
  const rollbacks = (await listRollbacks(deps.client, page.limit)).filter((rollback) => rollback.rolledBackAt >= oldest);
  return { imports, rollbacks };
}

export async function requireImport(deps: ImportHistoryDeps, id: number): Promise<ImportRecord> {
  const record = await findImport(deps.client, id);
  if (!record) throw notFound("import.not_found", `no import ${id}`);
  return record;
}

/** The import the served campaign replaced (if any) and the one under way (if any). */
export async function surroundingImports(deps: ImportHistoryDeps, previousImportId: number | null): Promise<{ previous: ImportRecord | null; running: ImportRecord | null }> {
  const previous = previousImportId === null ? null : await findImport(deps.client, previousImportId);
  return { previous, running: await findRunningImport(deps.client) };
}
