import type { Client, Row, Transaction } from "@libsql/client";
import type { CallResult } from "../../shared/contracts/call-results.ts";
import type { CallOutcome } from "./dispositions.ts";
import { nullableNumber, nullableText } from "../../shared/db/row-values.ts";

/** A call result as stored: the wire fields plus what the core derives from them. */
export interface StoredCallResult extends CallResult {
  result: CallOutcome;
  callHour: number | null;
  phoneKey: string | null;
  contentHash: string;
}

export interface ExistingCallResult extends StoredCallResult {
  id: number;
  revision: number;
}

export interface CallResultRecord extends ExistingCallResult {
  selectionId: number | null;
  didId: string | null;
  didNumber: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface CallResultChange {
  id: number;
  revision: number;
  changedAt: number;
  changes: Record<string, [unknown, unknown]>;
}

/** Wire field → column, in one place for inserts, updates and reads. */
export const storedColumns = {
  uniqueid: "uniqueid",
  leadId: "lead_id",
  listId: "list_id",
  campaignId: "campaign_id",
  phoneNumber: "phone_number",
  phoneCode: "phone_code",
  disposition: "disposition",
  duration: "duration",
  agentId: "agent_id",
  userGroup: "user_group",
  termReason: "term_reason",
  comments: "comments",
  altDial: "alt_dial",
  calledCount: "called_count",
  callDate: "call_date",
  startEpoch: "start_epoch",
  endEpoch: "end_epoch",
  result: "result",
  callHour: "call_hour",
  phoneKey: "phone_key",
  contentHash: "content_hash",
} as const satisfies Record<keyof StoredCallResult, string>;

type StoredField = keyof typeof storedColumns;
const storedFields = Object.keys(storedColumns) as StoredField[];
const columnList = storedFields.map((field) => storedColumns[field]).join(", ");
const rowPlaceholders = `(${new Array(storedFields.length + 4).fill("?").join(", ")})`;
/** 100 rows × 25 values stays far below SQLite's limit on bound parameters. */
const rowsPerInsert = 100;
const updateList = storedFields
  .filter((field) => field !== "uniqueid")
  .map((field) => `${storedColumns[field]} = excluded.${storedColumns[field]}`)
  .join(", ");

export interface CallsWriteTransaction {
  findExisting(tenantId: string, uniqueids: readonly string[]): Promise<Map<string, ExistingCallResult>>;
  /** Inserts new rows and rewrites changed ones (a row whose hash is unchanged is left alone). */
  upsert(tenantId: string, rows: readonly StoredCallResult[], now: number): Promise<Map<string, number>>;
  appendChanges(tenantId: string, changes: ReadonlyArray<{ callResultId: number; uniqueid: string; revision: number; changes: Record<string, [unknown, unknown]> }>, now: number): Promise<void>;
}

export interface CallsRepository {
  inWriteTransaction<T>(work: (tx: CallsWriteTransaction) => Promise<T>): Promise<T>;
  loadDispositionOverrides(tenantId: string): Promise<Map<string, CallOutcome>>;
  setDispositionOverride(tenantId: string, status: string, result: CallOutcome, now: number): Promise<void>;
  deleteDispositionOverride(tenantId: string, status: string): Promise<boolean>;
  /** Re-derives `result` of the tenant's stored calls with this status (after a mapping change). */
  recomputeResults(tenantId: string, status: string, result: CallOutcome): Promise<number>;
  findCallResult(tenantId: string, uniqueid: string): Promise<CallResultRecord | null>;
  listChanges(tenantId: string, uniqueid: string): Promise<CallResultChange[]>;
}

export function createCallsRepository(client: Client): CallsRepository {
  return {
    async inWriteTransaction(work) {
      const transaction = await client.transaction("write");
      try {
        const result = await work(writeTransactionOf(transaction));
        await transaction.commit();
        return result;
      } catch (error) {
        await transaction.rollback().catch(() => {});
        throw error;
      } finally {
        transaction.close();
      }
    },

    async loadDispositionOverrides(tenantId) {
      const result = await client.execute({ sql: "SELECT status, result FROM disposition_overrides WHERE tenant_id = ?", args: [tenantId] });
      return new Map(result.rows.map((row) => [String(row.status), String(row.result) as CallOutcome]));
    },

    async setDispositionOverride(tenantId, status, result, now) {
      await client.execute({
        sql: "INSERT INTO disposition_overrides (tenant_id, status, result, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, status) DO UPDATE SET result = excluded.result, updated_at = excluded.updated_at",
        args: [tenantId, status, result, now],
      });
    },

    async deleteDispositionOverride(tenantId, status) {
      const result = await client.execute({ sql: "DELETE FROM disposition_overrides WHERE tenant_id = ? AND status = ? RETURNING status", args: [tenantId, status] });
      return result.rows.length > 0;
    },

    async recomputeResults(tenantId, status, result) {
      const updated = await client.execute({
        sql: "UPDATE call_results SET result = ? WHERE tenant_id = ? AND upper(trim(disposition)) = ? AND result <> ?",
        args: [result, tenantId, status, result],
      });
      return updated.rowsAffected;
    },

    async findCallResult(tenantId, uniqueid) {
      const result = await client.execute({
        sql: `SELECT id, revision, selection_id, did_id, did_number, created_at, updated_at, ${columnList} FROM call_results WHERE tenant_id = ? AND uniqueid = ?`,
        args: [tenantId, uniqueid],
      });
      const row = result.rows[0];
      if (!row) return null;
      return {
        ...existingOf(row),
        selectionId: nullableNumber(row.selection_id),
        didId: nullableText(row.did_id),
        didNumber: nullableText(row.did_number),
        createdAt: Number(row.created_at),
        updatedAt: Number(row.updated_at),
      };
    },

    async listChanges(tenantId, uniqueid) {
      const result = await client.execute({
        sql: "SELECT id, revision, changed_at, changes FROM call_result_changes WHERE tenant_id = ? AND uniqueid = ? ORDER BY id",
        args: [tenantId, uniqueid],
      });
      return result.rows.map((row) => ({
        id: Number(row.id),
        revision: Number(row.revision),
        changedAt: Number(row.changed_at),
        changes: JSON.parse(String(row.changes)) as Record<string, [unknown, unknown]>,
      }));
    },
  };
}

function writeTransactionOf(transaction: Transaction): CallsWriteTransaction {
  return {
    async findExisting(tenantId, uniqueids) {
      const result = await transaction.execute({
        sql: `SELECT id, revision, ${columnList} FROM call_results WHERE tenant_id = ? AND uniqueid IN (SELECT value FROM json_each(?))`,
        args: [tenantId, JSON.stringify(uniqueids)],
      });
      return new Map(result.rows.map((row) => [String(row.uniqueid), existingOf(row)]));
    },

    async upsert(tenantId, rows, now) {
      const written = new Map<string, number>();
      // Multi-row VALUES with bound parameters: SQLite binds them faster than it extracts JSON fields.
      for (let start = 0; start < rows.length; start += rowsPerInsert) {
        const chunk = rows.slice(start, start + rowsPerInsert);
        const result = await transaction.execute({
          sql: `INSERT INTO call_results (tenant_id, ${columnList}, revision, created_at, updated_at)
                VALUES ${chunk.map(() => rowPlaceholders).join(", ")}
                ON CONFLICT (tenant_id, uniqueid) DO UPDATE SET ${updateList}, revision = call_results.revision + 1, updated_at = excluded.updated_at
                WHERE call_results.content_hash <> excluded.content_hash
                RETURNING id, uniqueid`,
          args: chunk.flatMap((row) => [tenantId, ...storedFields.map((field) => row[field]), 1, now, now]),
        });
        for (const row of result.rows) written.set(String(row.uniqueid), Number(row.id));
      }
      return written;
    },

    async appendChanges(tenantId, changes, now) {
      if (changes.length === 0) return;
      await transaction.execute({
        sql: `INSERT INTO call_result_changes (tenant_id, call_result_id, uniqueid, revision, changed_at, changes)
              SELECT ?, j.value ->> 'callResultId', j.value ->> 'uniqueid', j.value ->> 'revision', ?, j.value ->> 'changes' FROM json_each(?) AS j`,
        args: [tenantId, now, JSON.stringify(changes.map((change) => ({ ...change, changes: JSON.stringify(change.changes) })))],
      });
    },
  };
}

function existingOf(row: Row): ExistingCallResult {
  return {
    id: Number(row.id),
    revision: Number(row.revision),
    uniqueid: String(row.uniqueid),
    leadId: nullableText(row.lead_id),
    listId: nullableText(row.list_id),
    campaignId: nullableText(row.campaign_id),
    phoneNumber: nullableText(row.phone_number),
    phoneCode: nullableText(row.phone_code),
    disposition: nullableText(row.disposition),
    duration: nullableNumber(row.duration),
    agentId: nullableText(row.agent_id),
    userGroup: nullableText(row.user_group),
    termReason: nullableText(row.term_reason),
    comments: nullableText(row.comments),
    altDial: nullableText(row.alt_dial),
    calledCount: nullableNumber(row.called_count),
    callDate: nullableText(row.call_date),
    startEpoch: nullableNumber(row.start_epoch),
    endEpoch: nullableNumber(row.end_epoch),
    result: String(row.result) as CallOutcome,
    callHour: nullableNumber(row.call_hour),
    phoneKey: nullableText(row.phone_key),
    contentHash: String(row.content_hash),
  };
}
