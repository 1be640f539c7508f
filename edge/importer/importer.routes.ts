import { z } from "zod";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import type { AccountsDeps } from "../../shared/accounts/accounts.usecases.ts";
import { requireOperator } from "../../shared/accounts/operator-session.ts";
import { type BackgroundImports, type ImporterDeps, startUploadedImport } from "./campaign-import.usecases.ts";
import { listImportHistory, requireImport } from "./import-history.usecases.ts";
import type { ImportRecord } from "./import.repository.ts";

export const importUploadPath = "/operator/api/imports";

const historyQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(1).optional(),
});
const importIdParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** An import as the operator API shows it (snake_case, ISO times). */
export function importJson(record: ImportRecord): Record<string, unknown> {
  return {
    id: record.id,
    state: record.state,
    phase: record.phase,
    source: record.source,
    file_name: record.fileName,
    operator: record.operator,
    campaign_id: record.campaignId,
    campaign_name: record.campaignName,
    lead_count: record.leadCount,
    audio_count: record.audioCount,
    audio_bytes: record.audioBytes,
    package_bytes: record.packageBytes,
    package_sha256: record.packageSha256,
    started_at: isoTime(record.startedAt),
    finished_at: isoTime(record.finishedAt),
    activated_at: isoTime(record.activatedAt),
    retired_at: isoTime(record.retiredAt),
    problem_count: record.problemCount,
    error_code: record.errorCode,
    error_message: record.errorMessage,
    progress: record.progress,
    report: record.report,
  };
}

export function registerImporterRoutes(app: HttpApp, deps: { importer: ImporterDeps; background: BackgroundImports; operators: AccountsDeps }): void {
  /** The package is the raw request body (application/zip); X-File-Name carries its name. */
  app.post(importUploadPath, async (c) => {
    const operator = await requireOperator(c, deps.operators);
    const declaredBytes = Number(c.req.header("content-length"));
    let fileName = "package.zip";
    try {
      fileName = decodeURIComponent(c.req.header("x-file-name") ?? fileName);
    } catch {
      // A name that is not valid percent-encoding is only a label: keep the default.
    }
    try {
      const importId = await startUploadedImport(deps.importer, deps.background, { body: c.req.raw.body, declaredBytes, fileName, operator: operator.username });
      return c.json({ import_id: importId, status_url: `${importUploadPath}/${importId}` }, 202);
    } catch (error) {
      // Refused before the body was read (busy, shutting down): the rest of the upload is not wanted,
      // so the connection is closed after the answer instead of waiting for bytes nobody reads.
      c.header("Connection", "close");
      throw error;
    }
  });

  app.get(importUploadPath, async (c) => {
    await requireOperator(c, deps.operators);
    const query = historyQuery.parse(c.req.query());
    const { imports, rollbacks } = await listImportHistory(deps.importer, { limit: query.limit, beforeId: query.before });
    c.header("Cache-Control", "no-store");
    return c.json({
      imports: imports.map(importJson),
      rollbacks: rollbacks.map((rollback) => ({
        id: rollback.id,
        rolled_back_at: isoTime(rollback.rolledBackAt),
        operator: rollback.operator,
        from_import_id: rollback.fromImportId,
        to_import_id: rollback.toImportId,
      })),
    });
  });

  app.get(`${importUploadPath}/:id`, async (c) => {
    await requireOperator(c, deps.operators);
    const record = await requireImport(deps.importer, importIdParam.parse(c.req.param("id")));
    c.header("Cache-Control", "no-store");
    return c.json(importJson(record));
  });
}
