import { createHash } from "node:crypto";
import type { CallResult, CallResultOutcome } from "../../shared/contracts/call-results.ts";
import { notFound } from "../../shared/http/app-error.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { phoneKeyOf } from "../dids/phone-numbers.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { type CallResultChange, type CallResultRecord, createCallsRepository, type StoredCallResult } from "./calls.repository.ts";
import { type CallOutcome, outcomeOfStatus } from "./dispositions.ts";

export interface CallsDeps {
  db: CoreDatabase;
  clock: Clock;
  /** Links freshly stored calls to the DID selection that placed them (the dids feature). */
  attributeCalls(tenantId: string, uniqueids: readonly string[]): Promise<void>;
}

export interface RecordedCallResult {
  uniqueid: string;
  recordId: string;
  disposition: string | null;
  result: CallOutcome;
  outcome: CallResultOutcome;
}

const wireFields = [
  "uniqueid",
  "leadId",
  "listId",
  "campaignId",
  "phoneNumber",
  "phoneCode",
  "disposition",
  "duration",
  "agentId",
  "userGroup",
  "termReason",
  "comments",
  "altDial",
  "calledCount",
  "callDate",
  "startEpoch",
  "endEpoch",
] as const satisfies ReadonlyArray<keyof CallResult>;

/**
 * Upserts a tenant's call results by uniqueid in one write transaction: new calls are created, a
 * changed call is rewritten with its revision bumped and the change appended to its audit log, and
 * a call sent again unchanged is left untouched. A uniqueid repeated within one batch (INCALL, then
 * SALE) is applied in order, each later row an update with its own history entry. Returns one entry
 * per input row, in input order.
 */
export async function recordCallResults(deps: CallsDeps, tenantId: string, rows: readonly CallResult[]): Promise<RecordedCallResult[]> {
  if (rows.length === 0) return [];
  const overrides = await createCallsRepository(deps.db).loadDispositionOverrides(tenantId);
  // Pass n holds the n-th occurrence of each uniqueid: applying the passes in order replays the batch.
  const passes: Array<Map<string, StoredCallResult>> = [];
  const passOfRow = rows.map((row) => {
    let pass = 0;
    while (passes[pass]?.has(row.uniqueid)) pass++;
    (passes[pass] ??= new Map()).set(row.uniqueid, storedFormOf(row, overrides));
    return pass;
  });
  const now = deps.clock.now();

  const outcomes = await deps.db.transaction(async (transaction) => {
    const tx = createCallsRepository(transaction);
    const results: Array<Map<string, { outcome: CallResultOutcome; recordId: number | null }>> = [];
    for (const latest of passes) {
      const existing = await tx.findExisting(tenantId, [...latest.keys()]);
      const toWrite: StoredCallResult[] = [];
      const changes: Array<{ uniqueid: string; callResultId: number; revision: number; changes: Record<string, [unknown, unknown]> }> = [];
      const byUniqueid = new Map<string, { outcome: CallResultOutcome; recordId: number | null }>();
      for (const [uniqueid, stored] of latest) {
        const before = existing.get(uniqueid);
        if (!before) {
          toWrite.push(stored);
          byUniqueid.set(uniqueid, { outcome: "created", recordId: null });
        } else if (before.contentHash !== stored.contentHash) {
          toWrite.push(stored);
          changes.push({ uniqueid, callResultId: before.id, revision: before.revision + 1, changes: differences(before, stored) });
          byUniqueid.set(uniqueid, { outcome: "updated", recordId: before.id });
        } else {
          byUniqueid.set(uniqueid, { outcome: "unchanged", recordId: before.id });
        }
      }
      const written = await tx.upsert(tenantId, toWrite, now);
      for (const [uniqueid, id] of written) byUniqueid.get(uniqueid)!.recordId = id;
      await tx.appendChanges(tenantId, changes, now);
      results.push(byUniqueid);
    }
    return results;
  });

  await deps.attributeCalls(tenantId, [...passes[0]!.keys()]);
  return rows.map((row, index) => {
    const pass = passOfRow[index]!;
    const entry = outcomes[pass]!.get(row.uniqueid)!;
    const stored = passes[pass]!.get(row.uniqueid)!;
    return { uniqueid: row.uniqueid, recordId: String(entry.recordId), disposition: stored.disposition, result: stored.result, outcome: entry.outcome };
  });
}

export async function getCallResultWithHistory(deps: CallsDeps, tenantId: string, uniqueid: string): Promise<{ record: CallResultRecord; changes: CallResultChange[] }> {
  const calls = createCallsRepository(deps.db);
  const record = await calls.findCallResult(tenantId, uniqueid);
  if (!record) throw notFound("call_results.not_found", `no call result with uniqueid ${uniqueid}`);
  return { record, changes: await calls.listChanges(tenantId, uniqueid) };
}

export function storedFormOf(row: CallResult, overrides: ReadonlyMap<string, CallOutcome>): StoredCallResult {
  const hash = createHash("sha1").update(wireFields.map((field) => (row[field] === null ? "\u0000" : String(row[field]))).join("\u0001"));
  return {
    ...row,
    result: outcomeOfStatus(row.disposition, overrides),
    callHour: hourOf(row.callDate),
    phoneKey: phoneKeyOf(row.phoneNumber),
    contentHash: hash.digest("base64url"),
  };
}

function hourOf(callDate: string | null): number | null {
  if (!callDate || callDate.startsWith("0000")) return null;
  const hour = Number(callDate.slice(11, 13));
  return Number.isInteger(hour) && hour >= 0 && hour <= 23 ? hour : null;
}

function differences(before: CallResult, after: CallResult): Record<string, [unknown, unknown]> {
  const changed: Record<string, [unknown, unknown]> = {};
  for (const field of wireFields) if (before[field] !== after[field]) changed[field] = [before[field], after[field]];
  return changed;
}
