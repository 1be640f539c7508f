import { and, asc, count, eq, gte, inArray, isNotNull, lte, max, ne, sql } from "drizzle-orm";
import { excluded } from "../../shared/db/excluded.ts";
import { callResults } from "../calls/calls.schema.ts";
import type { CallOutcome } from "../calls/dispositions.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { areaCodes, didSelections, dids } from "./dids.schema.ts";

export type Did = typeof dids.$inferSelect;
export type DidFields = Omit<Did, "id" | "tenantId" | "createdAt" | "updatedAt">;
export type AreaCodeLocation = Omit<typeof areaCodes.$inferSelect, "updatedAt">;
export type DidSelectionRecord = Omit<typeof didSelections.$inferSelect, "id">;

/** What a tenant's DID snapshot is built from. */
export interface DidPoolData {
  dids: Did[];
  /** Final results per DID since the start of the rolling window. */
  results: Array<{ didId: string; attempts: number; answered: number }>;
  /** Selections per DID since the start of the tenant's day, up to selection id `lastSelectionId`. */
  usage: Array<{ didId: string; count: number }>;
  lastSelectionId: number;
}

/** Rows per multi-row INSERT: 1,000 rows × 12 values stays below SQLite's limit on bound parameters. */
const rowsPerInsert = 1000;

export function createDidsRepository(db: CoreDatabase) {
  const findDid = async (tenantId: string, id: string): Promise<Did | null> => {
    const rows = await db.select().from(dids).where(and(eq(dids.tenantId, tenantId), eq(dids.id, id)));
    return rows[0] ?? null;
  };

  return {
    async upsertDids(tenantId: string, fields: readonly DidFields[], makeId: () => string, now: number): Promise<Array<{ did: Did; created: boolean }>> {
      if (fields.length === 0) return [];
      return db.transaction(async (tx) => {
        const written: Array<{ did: Did; created: boolean }> = [];
        for (let start = 0; start < fields.length; start += rowsPerInsert) {
          const chunk = fields.slice(start, start + rowsPerInsert);
          const existing = await tx
            .select({ phoneNumber: dids.phoneNumber })
            .from(dids)
            .where(and(eq(dids.tenantId, tenantId), inArray(dids.phoneNumber, chunk.map((did) => did.phoneNumber))));
          const known = new Set(existing.map((row) => row.phoneNumber));
          const rows = await tx
            .insert(dids)
            .values(chunk.map((did) => ({ id: makeId(), tenantId, ...did, createdAt: now, updatedAt: now })))
            .onConflictDoUpdate({
              target: [dids.tenantId, dids.phoneNumber],
              set: {
                areaCode: excluded(dids.areaCode),
                state: excluded(dids.state),
                latitude: excluded(dids.latitude),
                longitude: excluded(dids.longitude),
                campaignId: excluded(dids.campaignId),
                dailyLimit: excluded(dids.dailyLimit),
                active: excluded(dids.active),
                updatedAt: excluded(dids.updatedAt),
              },
            })
            .returning();
          for (const did of rows) written.push({ did, created: !known.has(did.phoneNumber) });
        }
        return written;
      });
    },

    async listDids(tenantId: string, filter: { campaignId?: string; active?: boolean }): Promise<Did[]> {
      const conditions = [eq(dids.tenantId, tenantId)];
      if (filter.campaignId !== undefined) conditions.push(eq(dids.campaignId, filter.campaignId));
      if (filter.active !== undefined) conditions.push(eq(dids.active, filter.active));
      return db.select().from(dids).where(and(...conditions)).orderBy(asc(dids.phoneNumber));
    },

    findDid,

    async updateDid(tenantId: string, id: string, changes: Partial<DidFields>, now: number): Promise<Did | null> {
      const current = await findDid(tenantId, id);
      if (!current) return null;
      const { id: _id, tenantId: _tenantId, createdAt: _createdAt, updatedAt: _updatedAt, phoneNumber: _phoneNumber, ...kept } = { ...current, ...changes };
      const rows = await db
        .update(dids)
        .set({ ...kept, updatedAt: now })
        .where(and(eq(dids.tenantId, tenantId), eq(dids.id, id)))
        .returning();
      return rows[0] ?? null;
    },

    async loadPoolData(
      tenantId: string,
      window: { resultsSinceEpochSeconds: number; dayStartMs: number; answeredOutcomes: readonly CallOutcome[]; pendingOutcome: CallOutcome },
    ): Promise<DidPoolData> {
      // The last selection first: usage is then counted up to exactly that selection.
      const [last] = await db.select({ id: max(didSelections.id) }).from(didSelections);
      const lastSelectionId = last?.id ?? 0;
      const active = await db.select().from(dids).where(and(eq(dids.tenantId, tenantId), eq(dids.active, true)));
      const results = await db
        .select({
          didId: callResults.didId,
          attempts: count(),
          answered: sql<number>`sum(CASE WHEN ${inArray(callResults.result, [...window.answeredOutcomes])} THEN 1 ELSE 0 END)`,
        })
        .from(callResults)
        .where(
          and(
            eq(callResults.tenantId, tenantId),
            isNotNull(callResults.didId),
            gte(callResults.startEpoch, window.resultsSinceEpochSeconds),
            ne(callResults.result, window.pendingOutcome),
          ),
        )
        .groupBy(callResults.didId);
      const usage = await db
        .select({ didId: didSelections.didId, count: count() })
        .from(didSelections)
        .where(and(eq(didSelections.tenantId, tenantId), gte(didSelections.selectedAt, window.dayStartMs), lte(didSelections.id, lastSelectionId)))
        .groupBy(didSelections.didId);
      return {
        dids: active,
        results: results.map((row) => ({ didId: row.didId!, attempts: row.attempts, answered: Number(row.answered) })),
        usage,
        lastSelectionId,
      };
    },

    async insertSelection(selection: DidSelectionRecord): Promise<number> {
      const rows = await db.insert(didSelections).values(selection).returning({ id: didSelections.id });
      return rows[0]!.id;
    },

    /** Fills did_id/did_number of the tenant's calls that have none yet, from the matching selection. */
    async attributeCalls(tenantId: string, uniqueids: readonly string[], window: { beforeStartMs: number; afterStartMs: number }): Promise<void> {
      if (uniqueids.length === 0) return;
      const anySelection = await db.select({ id: didSelections.id }).from(didSelections).where(eq(didSelections.tenantId, tenantId)).limit(1);
      if (anySelection.length === 0) return;
      const calls = JSON.stringify(uniqueids);
      // Correlated subqueries on an aliased UPDATE target and UPDATE … FROM: beyond the query builder.
      // The selection made for this call: by its uniqueid when the dialer passed it, otherwise the
      // latest selection for the same customer number shortly before the call started.
      await db.transaction(async (tx) => {
        await tx.run(sql`UPDATE call_results AS r SET selection_id = coalesce(
              (SELECT s.id FROM did_selections s WHERE s.tenant_id = r.tenant_id AND s.uniqueid = r.uniqueid ORDER BY s.selected_at DESC, s.id DESC LIMIT 1),
              (SELECT s.id FROM did_selections s
                WHERE s.tenant_id = r.tenant_id AND r.phone_key IS NOT NULL AND s.customer_phone_key = r.phone_key AND r.start_epoch IS NOT NULL
                  AND s.selected_at BETWEEN r.start_epoch * 1000 - ${window.beforeStartMs} AND r.start_epoch * 1000 + ${window.afterStartMs}
                  AND (s.campaign_id IS NULL OR r.campaign_id IS NULL OR s.campaign_id = r.campaign_id)
                ORDER BY s.selected_at DESC, s.id DESC LIMIT 1))
            WHERE r.tenant_id = ${tenantId} AND r.selection_id IS NULL AND r.uniqueid IN (SELECT value FROM json_each(${calls}))`);
        await tx.run(sql`UPDATE call_results AS r SET did_id = s.did_id, did_number = s.did_number FROM did_selections s
            WHERE s.id = r.selection_id AND r.did_id IS NULL AND r.tenant_id = ${tenantId} AND r.uniqueid IN (SELECT value FROM json_each(${calls}))`);
      });
    },

    async upsertAreaCodes(rows: readonly AreaCodeLocation[], now: number): Promise<number> {
      let written = 0;
      for (let start = 0; start < rows.length; start += rowsPerInsert) {
        const result = await db
          .insert(areaCodes)
          .values(rows.slice(start, start + rowsPerInsert).map((row) => ({ ...row, updatedAt: now })))
          .onConflictDoUpdate({ target: areaCodes.areaCode, set: { state: excluded(areaCodes.state), latitude: excluded(areaCodes.latitude), longitude: excluded(areaCodes.longitude), updatedAt: excluded(areaCodes.updatedAt) } });
        written += result.rowsAffected;
      }
      return written;
    },

    async loadAreaCodes(): Promise<AreaCodeLocation[]> {
      return db.select({ areaCode: areaCodes.areaCode, state: areaCodes.state, latitude: areaCodes.latitude, longitude: areaCodes.longitude }).from(areaCodes);
    },
  };
}

export type DidsRepository = ReturnType<typeof createDidsRepository>;
