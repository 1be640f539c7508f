import type { Client, InStatement, Row } from "@libsql/client";
import { nullableNumber, nullableText } from "../../shared/db/row-values.ts";
import type { ImportSource, ImportState } from "../campaigns/campaigns.schema.ts";
import type { ParsedLead } from "../../shared/campaign-package/lead-rows.ts";

/** The SQL of the import lock, the staged rows and the import history. */

export interface ImportRecord {
  id: number;
  state: ImportState;
  phase: string;
  source: ImportSource;
  fileName: string;
  operator: string | null;
  packageBytes: number | null;
  packageSha256: string | null;
  campaignId: string | null;
  campaignName: string | null;
  leadCount: number | null;
  audioCount: number | null;
  audioBytes: number | null;
  progress: Record<string, unknown>;
  report: Record<string, unknown> | null;
  /** From the report; also read when the report itself is left out. */
  problemCount: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  startedAt: number;
  finishedAt: number | null;
  activatedAt: number | null;
  retiredAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

export class ImportLockTakenError extends Error {
  constructor(readonly running: ImportRecord) {
    super(`import ${running.id} is running`);
    this.name = "ImportLockTakenError";
  }
}

const importColumns =
  "id, state, phase, source, file_name, operator, package_bytes, package_sha256, campaign_id, campaign_name, lead_count, audio_count, audio_bytes, progress, report, json_extract(report, '$.problem_count') AS problem_count, error_code, error_message, started_at, finished_at, activated_at, retired_at, lease_owner, lease_expires_at";

function toImportRecord(row: Row, withReport = true): ImportRecord {
  return {
    id: Number(row.id),
    state: String(row.state) as ImportState,
    phase: String(row.phase),
    source: String(row.source) as ImportSource,
    fileName: String(row.file_name),
    operator: nullableText(row.operator),
    packageBytes: nullableNumber(row.package_bytes),
    packageSha256: nullableText(row.package_sha256),
    campaignId: nullableText(row.campaign_id),
    campaignName: nullableText(row.campaign_name),
    leadCount: nullableNumber(row.lead_count),
    audioCount: nullableNumber(row.audio_count),
    audioBytes: nullableNumber(row.audio_bytes),
    progress: JSON.parse(String(row.progress ?? "{}")),
    report: withReport && row.report ? JSON.parse(String(row.report)) : null,
    problemCount: nullableNumber(row.problem_count),
    errorCode: nullableText(row.error_code),
    errorMessage: nullableText(row.error_message),
    startedAt: Number(row.started_at),
    finishedAt: nullableNumber(row.finished_at),
    activatedAt: nullableNumber(row.activated_at),
    retiredAt: nullableNumber(row.retired_at),
    leaseOwner: nullableText(row.lease_owner),
    leaseExpiresAt: nullableNumber(row.lease_expires_at),
  };
}

export async function findImport(client: Client, id: number): Promise<ImportRecord | null> {
  const result = await client.execute({ sql: `SELECT ${importColumns} FROM campaign_imports WHERE id = ?`, args: [id] });
  return result.rows[0] ? toImportRecord(result.rows[0]) : null;
}

export async function findRunningImport(client: Client): Promise<ImportRecord | null> {
  const result = await client.execute(`SELECT ${importColumns} FROM campaign_imports WHERE state = 'running'`);
  return result.rows[0] ? toImportRecord(result.rows[0]) : null;
}

/** Newest first; reports are left out (they can be large): read one import for its report. */
export async function listImports(client: Client, options: { limit: number; beforeId?: number }): Promise<ImportRecord[]> {
  const result = await client.execute({
    sql: `SELECT ${importColumns.replace("report,", "NULL AS report,")} FROM campaign_imports WHERE id < ? ORDER BY id DESC LIMIT ?`,
    args: [options.beforeId ?? Number.MAX_SAFE_INTEGER, options.limit],
  });
  return result.rows.map((row) => toImportRecord(row, false));
}

/**
 * Takes the import lock: a `running` row, which a partial unique index allows only once across
 * every process sharing the database. Throws ImportLockTakenError naming the holder.
 */
export async function insertRunningImport(
  client: Client,
  values: { source: ImportSource; fileName: string; operator: string | null; leaseOwner: string; now: number; leaseExpiresAt: number },
): Promise<number> {
  try {
    const result = await client.execute({
      sql: "INSERT INTO campaign_imports (state, phase, source, file_name, operator, started_at, lease_owner, lease_expires_at) VALUES ('running', ?, ?, ?, ?, ?, ?, ?)",
      args: [values.source === "upload" ? "receiving" : "reading", values.source, values.fileName, values.operator, values.now, values.leaseOwner, values.leaseExpiresAt],
    });
    return Number(result.lastInsertRowid);
  } catch (error) {
    if (!/UNIQUE constraint failed/i.test(String((error as Error).message))) throw error;
    const running = await findRunningImport(client);
    if (!running) throw error;
    throw new ImportLockTakenError(running);
  }
}

/** Marks running imports whose holder stopped renewing its lease as failed; returns their ids. */
export async function failExpiredImports(client: Client, now: number): Promise<number[]> {
  const result = await client.execute({
    sql: `UPDATE campaign_imports SET state = 'failed', phase = 'done', finished_at = ?, error_code = 'import.interrupted',
            error_message = 'the import stopped before it finished (the process ended or lost its database); nothing of it was served',
            lease_owner = NULL, lease_expires_at = NULL
          WHERE state = 'running' AND lease_expires_at < ? RETURNING id`,
    args: [now, now],
  });
  return result.rows.map((row) => Number(row.id));
}

/** Progress and lease renewal in one write; false when the lease is no longer this process's. */
export async function renewImport(client: Client, values: { id: number; leaseOwner: string; phase: string; progress: string; leaseExpiresAt: number }): Promise<boolean> {
  const result = await client.execute({
    sql: "UPDATE campaign_imports SET phase = ?, progress = ?, lease_expires_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?",
    args: [values.phase, values.progress, values.leaseExpiresAt, values.id, values.leaseOwner],
  });
  return result.rowsAffected === 1;
}

export async function recordPackageDetails(
  client: Client,
  id: number,
  values: { packageBytes?: number; packageSha256?: string; campaignId?: string; campaignName?: string; leadCount?: number; audioCount?: number; audioBytes?: number; defaultAudio?: string | null },
): Promise<void> {
  const columns: Record<string, unknown> = {
    package_bytes: values.packageBytes,
    package_sha256: values.packageSha256,
    campaign_id: values.campaignId,
    campaign_name: values.campaignName,
    lead_count: values.leadCount,
    audio_count: values.audioCount,
    audio_bytes: values.audioBytes,
    default_audio: values.defaultAudio,
  };
  const present = Object.entries(columns).filter(([, value]) => value !== undefined);
  if (present.length === 0) return;
  await client.execute({
    sql: `UPDATE campaign_imports SET ${present.map(([column]) => `${column} = ?`).join(", ")} WHERE id = ?`,
    args: [...present.map(([, value]) => value as string | number | null), id],
  });
}

export async function markImportFailed(client: Client, values: { id: number; errorCode: string; errorMessage: string; report: string; now: number }): Promise<void> {
  await client.execute({
    sql: `UPDATE campaign_imports SET state = 'failed', phase = 'done', error_code = ?, error_message = ?, report = ?, finished_at = ?,
            lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND state = 'running'`,
    args: [values.errorCode, values.errorMessage, values.report, values.now, values.id],
  });
}

// SQLite accepts up to 32766 parameters per statement; 500 rows keep each write short.
const leadRowsPerStatement = 500;

/** Stages leads in one transaction per call. */
export async function insertStagedLeads(client: Client, importId: number, leads: readonly ParsedLead[]): Promise<void> {
  const statements: InStatement[] = [];
  for (let start = 0; start < leads.length; start += leadRowsPerStatement) {
    const slice = leads.slice(start, start + leadRowsPerStatement);
    const args: Array<string | number> = [];
    for (const lead of slice) {
      args.push(importId, lead.rowNumber, lead.leadId, lead.vendorLeadCode, lead.phoneNumber, JSON.stringify(lead.fields), JSON.stringify(lead.audio));
    }
    statements.push({
      sql: `INSERT INTO campaign_leads (import_id, row_number, lead_id, vendor_lead_code, phone_number, fields, audio) VALUES ${slice.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      args,
    });
  }
  if (statements.length > 0) await client.batch(statements, "write");
}

export interface StagedAudioFile {
  path: string;
  size: number;
  sha256: string;
  durationMs: number | null;
}

export async function insertStagedAudioFiles(client: Client, importId: number, files: readonly StagedAudioFile[]): Promise<void> {
  if (files.length === 0) return;
  const statements: InStatement[] = [];
  for (let start = 0; start < files.length; start += 1000) {
    const slice = files.slice(start, start + 1000);
    statements.push({
      sql: `INSERT INTO campaign_audio_files (import_id, path, size, sha256, duration_ms) VALUES ${slice.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
      args: slice.flatMap((file) => [importId, file.path, file.size, file.sha256, file.durationMs]),
    });
  }
  await client.batch(statements, "write");
}
