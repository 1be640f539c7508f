import type { Client, Row, Transaction } from "@libsql/client";
import { nullableNumber, nullableText } from "../../shared/db/row-values.ts";

/** The SQL behind deploying, switching and rolling back campaigns. */

export interface DeployedImport {
  id: number;
  state: "active" | "previous";
  campaignId: string;
  campaignName: string;
  startedAt: number;
  activatedAt: number;
  defaultAudio: string | null;
}

export interface LeadRecord {
  rowNumber: number;
  leadId: number;
  vendorLeadCode: string;
  phoneNumber: string;
  fields: string;
  audio: string;
}

export interface AudioFileRecord {
  path: string;
  size: number;
  sha256: string;
  durationMs: number | null;
}

export class DeploymentConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentConflictError";
  }
}

export async function findDeployedImports(client: Client): Promise<DeployedImport[]> {
  const result = await client.execute(
    "SELECT id, state, campaign_id, campaign_name, started_at, activated_at, default_audio FROM campaign_imports WHERE state IN ('active', 'previous')",
  );
  return result.rows.map((row) => ({
    id: Number(row.id),
    state: String(row.state) as "active" | "previous",
    campaignId: String(row.campaign_id ?? ""),
    campaignName: String(row.campaign_name ?? ""),
    startedAt: Number(row.started_at),
    activatedAt: Number(row.activated_at ?? row.started_at),
    defaultAudio: nullableText(row.default_audio),
  }));
}

/** Changes whenever an import is switched in or a rollback happens, in this process or another. */
export async function readDeploymentSignature(client: Client | Transaction): Promise<string> {
  const result = await client.execute("SELECT id, state, activated_at FROM campaign_imports WHERE state IN ('active', 'previous') ORDER BY state");
  return result.rows.map((row) => `${row.state}:${row.id}@${row.activated_at}`).join("|");
}

export async function findImportSource(client: Client, importId: number): Promise<Omit<DeployedImport, "state" | "activatedAt"> | null> {
  const result = await client.execute({ sql: "SELECT id, campaign_id, campaign_name, started_at, default_audio FROM campaign_imports WHERE id = ?", args: [importId] });
  const row = result.rows[0];
  if (!row) return null;
  return {
    id: importId,
    campaignId: String(row.campaign_id ?? ""),
    campaignName: String(row.campaign_name ?? ""),
    startedAt: Number(row.started_at),
    defaultAudio: nullableText(row.default_audio),
  };
}

export async function readLeadsPage(client: Client, importId: number, afterRowNumber: number, limit: number): Promise<LeadRecord[]> {
  const result = await client.execute({
    sql: "SELECT row_number, lead_id, vendor_lead_code, phone_number, fields, audio FROM campaign_leads WHERE import_id = ? AND row_number > ? ORDER BY row_number LIMIT ?",
    args: [importId, afterRowNumber, limit],
  });
  return result.rows.map((row: Row) => ({
    rowNumber: Number(row.row_number),
    leadId: Number(row.lead_id),
    vendorLeadCode: String(row.vendor_lead_code),
    phoneNumber: String(row.phone_number),
    fields: String(row.fields),
    audio: String(row.audio),
  }));
}

export async function readAudioFiles(client: Client, importId: number): Promise<AudioFileRecord[]> {
  const result = await client.execute({ sql: "SELECT path, size, sha256, duration_ms FROM campaign_audio_files WHERE import_id = ?", args: [importId] });
  return result.rows.map((row) => ({
    path: String(row.path),
    size: Number(row.size),
    sha256: String(row.sha256),
    durationMs: nullableNumber(row.duration_ms),
  }));
}

/**
 * The switch, in one transaction: previous → retired, active → previous, the staged import →
 * active. It succeeds only while the caller still holds the import's lease. The report is written
 * naming the import it replaces, as read inside the same transaction.
 */
export async function activateImport(
  client: Client,
  options: { importId: number; leaseOwner: string; now: number; report: (previousImportId: number | null) => string },
): Promise<{ previous: { id: number; startedAt: number } | null; signature: string }> {
  const transaction = await client.transaction("write");
  try {
    const claimed = await transaction.execute({
      sql: "SELECT id FROM campaign_imports WHERE id = ? AND state = 'running' AND lease_owner = ?",
      args: [options.importId, options.leaseOwner],
    });
    if (claimed.rows.length === 0) throw new DeploymentConflictError(`import ${options.importId} is no longer held by this process`);
    const active = (await transaction.execute("SELECT id, started_at FROM campaign_imports WHERE state = 'active'")).rows[0];
    const previous = active ? { id: Number(active.id), startedAt: Number(active.started_at) } : null;
    await transaction.execute({ sql: "UPDATE campaign_imports SET state = 'retired', retired_at = ? WHERE state = 'previous'", args: [options.now] });
    await transaction.execute("UPDATE campaign_imports SET state = 'previous' WHERE state = 'active'");
    await transaction.execute({
      sql: "UPDATE campaign_imports SET state = 'active', phase = 'done', activated_at = ?, finished_at = ?, report = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?",
      args: [options.now, options.now, options.report(previous?.id ?? null), options.importId],
    });
    const signature = await readDeploymentSignature(transaction);
    await transaction.commit();
    return { signature, previous };
  } catch (error) {
    await transaction.rollback().catch(() => {});
    throw error;
  } finally {
    transaction.close();
  }
}

/** Rollback: the previous campaign becomes active again and the active one becomes previous. */
export async function swapActiveAndPrevious(client: Client, now: number, operator: string | null = null): Promise<{ activeImportId: number; previousImportId: number; signature: string } | null> {
  const transaction = await client.transaction("write");
  try {
    const previous = await transaction.execute("SELECT id FROM campaign_imports WHERE state = 'previous'");
    const active = await transaction.execute("SELECT id FROM campaign_imports WHERE state = 'active'");
    if (previous.rows.length === 0 || active.rows.length === 0) {
      await transaction.rollback();
      return null;
    }
    const previousId = Number(previous.rows[0]!.id);
    const activeId = Number(active.rows[0]!.id);
    // Through a state without a uniqueness rule: each partial unique index holds at every step.
    await transaction.execute({ sql: "UPDATE campaign_imports SET state = 'retired' WHERE id = ?", args: [activeId] });
    await transaction.execute({ sql: "UPDATE campaign_imports SET state = 'active', activated_at = ? WHERE id = ?", args: [now, previousId] });
    await transaction.execute({ sql: "UPDATE campaign_imports SET state = 'previous' WHERE id = ?", args: [activeId] });
    await transaction.execute({ sql: "INSERT INTO campaign_rollbacks (rolled_back_at, operator, from_import_id, to_import_id) VALUES (?, ?, ?, ?)", args: [now, operator, activeId, previousId] });
    const signature = await readDeploymentSignature(transaction);
    await transaction.commit();
    return { activeImportId: previousId, previousImportId: activeId, signature };
  } catch (error) {
    await transaction.rollback().catch(() => {});
    throw error;
  } finally {
    transaction.close();
  }
}

export interface RollbackRecord {
  id: number;
  rolledBackAt: number;
  operator: string | null;
  fromImportId: number;
  toImportId: number;
}

/** The latest rollbacks, newest first, for the import history. */
export async function listRollbacks(client: Client, limit: number): Promise<RollbackRecord[]> {
  const result = await client.execute({ sql: "SELECT id, rolled_back_at, operator, from_import_id, to_import_id FROM campaign_rollbacks ORDER BY id DESC LIMIT ?", args: [limit] });
  return result.rows.map((row) => ({
    id: Number(row.id),
    rolledBackAt: Number(row.rolled_back_at),
    operator: nullableText(row.operator),
    fromImportId: Number(row.from_import_id),
    toImportId: Number(row.to_import_id),
  }));
}

/** Imports whose rows may still be stored although nothing serves them (retired or failed). */
export async function findUnservedImportsWithData(client: Client): Promise<number[]> {
  const result = await client.execute(`
    SELECT id FROM campaign_imports i
    WHERE state IN ('retired', 'failed')
      AND (EXISTS (SELECT 1 FROM campaign_leads l WHERE l.import_id = i.id) OR EXISTS (SELECT 1 FROM campaign_audio_files a WHERE a.import_id = i.id))`);
  return result.rows.map((row) => Number(row.id));
}

/** Import ids whose files may stay on disk: everything else under the audio directory is removed. */
export async function findImportsKeepingFiles(client: Client): Promise<Set<number>> {
  const result = await client.execute("SELECT id FROM campaign_imports WHERE state IN ('running', 'active', 'previous')");
  return new Set(result.rows.map((row) => Number(row.id)));
}

/** Deletes up to `limit` stored rows of an import; small batches keep each write short. */
export async function deleteImportRows(client: Client, importId: number, limit: number): Promise<number> {
  const leads = await client.execute({
    sql: "DELETE FROM campaign_leads WHERE import_id = ? AND row_number IN (SELECT row_number FROM campaign_leads WHERE import_id = ? LIMIT ?)",
    args: [importId, importId, limit],
  });
  if (leads.rowsAffected > 0) return leads.rowsAffected;
  const audio = await client.execute({
    sql: "DELETE FROM campaign_audio_files WHERE import_id = ? AND path IN (SELECT path FROM campaign_audio_files WHERE import_id = ? LIMIT ?)",
    args: [importId, importId, limit],
  });
  return audio.rowsAffected;
}
