import type { Client, Row } from "@libsql/client";
import { nullableNumber, nullableText } from "../../shared/db/row-values.ts";

export interface Did {
  id: string;
  tenantId: string;
  phoneNumber: string;
  areaCode: string | null;
  state: string | null;
  latitude: number | null;
  longitude: number | null;
  campaignId: string | null;
  dailyLimit: number | null;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

export type DidFields = Omit<Did, "id" | "tenantId" | "createdAt" | "updatedAt">;

export interface AreaCodeLocation {
  areaCode: string;
  state: string | null;
  latitude: number;
  longitude: number;
}

export interface DidSelectionRecord {
  tenantId: string;
  didId: string;
  didNumber: string;
  campaignId: string | null;
  customerPhoneKey: string | null;
  leadId: string | null;
  uniqueid: string | null;
  agentId: string | null;
  method: string;
  selectedAt: number;
}

/** What a tenant's DID snapshot is built from, read in one pass. */
export interface DidPoolData {
  dids: Did[];
  /** Final results per DID since the start of the rolling window. */
  results: Array<{ didId: string; attempts: number; answered: number }>;
  /** Selections per DID since the start of the tenant's day, up to selection id `lastSelectionId`. */
  usage: Array<{ didId: string; count: number }>;
  lastSelectionId: number;
}

export interface DidsRepository {
  upsertDids(tenantId: string, fields: readonly DidFields[], makeId: () => string, now: number): Promise<Array<{ did: Did; created: boolean }>>;
  listDids(tenantId: string, filter: { campaignId?: string; active?: boolean }): Promise<Did[]>;
  findDid(tenantId: string, id: string): Promise<Did | null>;
  updateDid(tenantId: string, id: string, changes: Partial<DidFields>, now: number): Promise<Did | null>;
  loadPoolData(tenantId: string, window: { resultsSinceEpochSeconds: number; dayStartMs: number; answeredOutcomes: readonly string[]; pendingOutcome: string }): Promise<DidPoolData>;
  insertSelection(selection: DidSelectionRecord): Promise<number>;
  /** Fills did_id/did_number of the tenant's calls that have none yet, from the matching selection. */
  attributeCalls(tenantId: string, uniqueids: readonly string[], window: { beforeStartMs: number; afterStartMs: number }): Promise<void>;
  upsertAreaCodes(rows: readonly AreaCodeLocation[], now: number): Promise<number>;
  loadAreaCodes(): Promise<AreaCodeLocation[]>;
}

const didColumns = "id, tenant_id, phone_number, area_code, state, latitude, longitude, campaign_id, daily_limit, active, created_at, updated_at";

export function createDidsRepository(client: Client): DidsRepository {
  const findDid = async (tenantId: string, id: string): Promise<Did | null> => {
    const result = await client.execute({ sql: `SELECT ${didColumns} FROM dids WHERE tenant_id = ? AND id = ?`, args: [tenantId, id] });
    return result.rows[0] ? didOf(result.rows[0]) : null;
  };

  return {
    async upsertDids(tenantId, fields, makeId, now) {
      if (fields.length === 0) return [];
      const existing = await client.execute({
        sql: "SELECT phone_number FROM dids WHERE tenant_id = ? AND phone_number IN (SELECT value FROM json_each(?))",
        args: [tenantId, JSON.stringify(fields.map((did) => did.phoneNumber))],
      });
      const known = new Set(existing.rows.map((row) => String(row.phone_number)));
      const rows = fields.map((did) => ({ id: makeId(), ...did, active: did.active ? 1 : 0 }));
      const result = await client.execute({
        sql: `INSERT INTO dids (${didColumns})
              SELECT j.value ->> 'id', ?, j.value ->> 'phoneNumber', j.value ->> 'areaCode', j.value ->> 'state', j.value ->> 'latitude', j.value ->> 'longitude',
                     j.value ->> 'campaignId', j.value ->> 'dailyLimit', j.value ->> 'active', ?, ?
              FROM json_each(?) AS j WHERE true
              ON CONFLICT (tenant_id, phone_number) DO UPDATE SET area_code = excluded.area_code, state = excluded.state, latitude = excluded.latitude,
                longitude = excluded.longitude, campaign_id = excluded.campaign_id, daily_limit = excluded.daily_limit, active = excluded.active, updated_at = excluded.updated_at
              RETURNING ${didColumns}`,
        args: [tenantId, now, now, JSON.stringify(rows)],
      });
      return result.rows.map((row) => {
        const did = didOf(row);
        return { did, created: !known.has(did.phoneNumber) };
      });
    },

    async listDids(tenantId, filter) {
      const conditions = ["tenant_id = ?"];
      const args: Array<string | number> = [tenantId];
      if (filter.campaignId !== undefined) {
        conditions.push("campaign_id = ?");
        args.push(filter.campaignId);
      }
      if (filter.active !== undefined) {
        conditions.push("active = ?");
        args.push(filter.active ? 1 : 0);
      }
      const result = await client.execute({ sql: `SELECT ${didColumns} FROM dids WHERE ${conditions.join(" AND ")} ORDER BY phone_number`, args });
      return result.rows.map(didOf);
    },

    findDid,

    async updateDid(tenantId, id, changes, now) {
      const current = await findDid(tenantId, id);
      if (!current) return null;
      const next = { ...current, ...changes };
      const result = await client.execute({
        sql: `UPDATE dids SET area_code = ?, state = ?, latitude = ?, longitude = ?, campaign_id = ?, daily_limit = ?, active = ?, updated_at = ?
              WHERE tenant_id = ? AND id = ? RETURNING ${didColumns}`,
        args: [next.areaCode, next.state, next.latitude, next.longitude, next.campaignId, next.dailyLimit, next.active ? 1 : 0, now, tenantId, id],
      });
      return result.rows[0] ? didOf(result.rows[0]) : null;
    },

    async loadPoolData(tenantId, window) {
      const answered = JSON.stringify(window.answeredOutcomes);
      const [didRows, resultRows, usageRows] = await client.batch(
        [
          { sql: `SELECT ${didColumns} FROM dids WHERE tenant_id = ? AND active = 1`, args: [tenantId] },
          {
            sql: `SELECT did_id, count(*) AS attempts, sum(CASE WHEN result IN (SELECT value FROM json_each(?)) THEN 1 ELSE 0 END) AS answered
                  FROM call_results WHERE tenant_id = ? AND did_id IS NOT NULL AND start_epoch >= ? AND result <> ? GROUP BY did_id`,
            args: [answered, tenantId, window.resultsSinceEpochSeconds, window.pendingOutcome],
          },
          {
            sql: `SELECT did_id, count(*) AS count, (SELECT coalesce(max(id), 0) FROM did_selections) AS last_id
                  FROM did_selections WHERE tenant_id = ? AND selected_at >= ? GROUP BY did_id
                  UNION ALL SELECT NULL, 0, (SELECT coalesce(max(id), 0) FROM did_selections)`,
            args: [tenantId, window.dayStartMs],
          },
        ],
        "read",
      );
      const usage = usageRows!.rows.filter((row) => row.did_id !== null).map((row) => ({ didId: String(row.did_id), count: Number(row.count) }));
      return {
        dids: didRows!.rows.map(didOf),
        results: resultRows!.rows.map((row) => ({ didId: String(row.did_id), attempts: Number(row.attempts), answered: Number(row.answered) })),
        usage,
        lastSelectionId: Number(usageRows!.rows.at(-1)?.last_id ?? 0),
      };
    },

    async insertSelection(selection) {
      const result = await client.execute({
        sql: `INSERT INTO did_selections (tenant_id, did_id, did_number, campaign_id, customer_phone_key, lead_id, uniqueid, agent_id, method, selected_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        args: [
          selection.tenantId,
          selection.didId,
          selection.didNumber,
          selection.campaignId,
          selection.customerPhoneKey,
          selection.leadId,
          selection.uniqueid,
          selection.agentId,
          selection.method,
          selection.selectedAt,
        ],
      });
      return Number(result.rows[0]!.id);
    },

    async attributeCalls(tenantId, uniqueids, window) {
      if (uniqueids.length === 0) return;
      const anySelection = await client.execute({ sql: "SELECT 1 FROM did_selections WHERE tenant_id = ? LIMIT 1", args: [tenantId] });
      if (anySelection.rows.length === 0) return;
      // The selection made for this call: by its uniqueid when the dialer passed it, otherwise the
      // latest selection for the same customer number shortly before the call started.
      await client.batch(
        [
          {
            sql: `UPDATE call_results AS r SET selection_id = coalesce(
                    (SELECT s.id FROM did_selections s WHERE s.tenant_id = r.tenant_id AND s.uniqueid = r.uniqueid ORDER BY s.selected_at DESC, s.id DESC LIMIT 1),
                    (SELECT s.id FROM did_selections s
                      WHERE s.tenant_id = r.tenant_id AND r.phone_key IS NOT NULL AND s.customer_phone_key = r.phone_key AND r.start_epoch IS NOT NULL
                        AND s.selected_at BETWEEN r.start_epoch * 1000 - ? AND r.start_epoch * 1000 + ?
                        AND (s.campaign_id IS NULL OR r.campaign_id IS NULL OR s.campaign_id = r.campaign_id)
                      ORDER BY s.selected_at DESC, s.id DESC LIMIT 1))
                  WHERE r.tenant_id = ? AND r.selection_id IS NULL AND r.uniqueid IN (SELECT value FROM json_each(?))`,
            args: [window.beforeStartMs, window.afterStartMs, tenantId, JSON.stringify(uniqueids)],
          },
          {
            sql: `UPDATE call_results AS r SET did_id = s.did_id, did_number = s.did_number FROM did_selections s
                  WHERE s.id = r.selection_id AND r.did_id IS NULL AND r.tenant_id = ? AND r.uniqueid IN (SELECT value FROM json_each(?))`,
            args: [tenantId, JSON.stringify(uniqueids)],
          },
        ],
        "write",
      );
    },

    async upsertAreaCodes(rows, now) {
      if (rows.length === 0) return 0;
      const result = await client.execute({
        sql: `INSERT INTO area_codes (area_code, state, latitude, longitude, updated_at)
              SELECT j.value ->> 'areaCode', j.value ->> 'state', j.value ->> 'latitude', j.value ->> 'longitude', ? FROM json_each(?) AS j WHERE true
              ON CONFLICT (area_code) DO UPDATE SET state = excluded.state, latitude = excluded.latitude, longitude = excluded.longitude, updated_at = excluded.updated_at`,
        args: [now, JSON.stringify(rows)],
      });
      return result.rowsAffected;
    },

    async loadAreaCodes() {
      const result = await client.execute("SELECT area_code, state, latitude, longitude FROM area_codes");
      return result.rows.map((row) => ({
        areaCode: String(row.area_code),
        state: nullableText(row.state),
        latitude: Number(row.latitude),
        longitude: Number(row.longitude),
      }));
    },
  };
}

function didOf(row: Row): Did {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    phoneNumber: String(row.phone_number),
    areaCode: nullableText(row.area_code),
    state: nullableText(row.state),
    latitude: nullableNumber(row.latitude),
    longitude: nullableNumber(row.longitude),
    campaignId: nullableText(row.campaign_id),
    dailyLimit: nullableNumber(row.daily_limit),
    active: Number(row.active) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
