import type { Client } from "@libsql/client";
import type { SerializedCallResult } from "./call-result-payload.ts";
import { nullableNumber, nullableText } from "../../shared/db/row-values.ts";

export interface ClaimedCallResult {
  uniqueid: string;
  payload: string;
  fingerprint: string;
}

export interface OutboxCounts {
  pending: number;
  dead: number;
  oldestPendingQueuedAt: number | null;
}

export interface DeadCallResult {
  uniqueid: string;
  callDate: string | null;
  lastError: string | null;
  queuedAt: number;
}

/** The edge's side of the sync: fingerprints of what was queued, the outbox, and progress. */
export interface SyncRepository {
  findFingerprints(uniqueids: readonly string[]): Promise<Map<string, string>>;
  /** Records the new fingerprints and queues the rows, in one transaction. */
  enqueue(rows: readonly SerializedCallResult[], now: number): Promise<void>;
  claimBatch(limit: number, leaseToken: string, now: number, leaseMs: number): Promise<ClaimedCallResult[]>;
  /** Deletes delivered rows, unless a newer version replaced them meanwhile. */
  deleteDelivered(rows: ReadonlyArray<Pick<ClaimedCallResult, "uniqueid" | "fingerprint">>): Promise<number>;
  markDead(rows: ReadonlyArray<Pick<ClaimedCallResult, "uniqueid" | "fingerprint"> & { error: string }>): Promise<number>;
  /** Gives back the rows of a claim that are still there (not delivered, not dead). */
  releaseLease(leaseToken: string, uniqueids: readonly string[]): Promise<void>;
  /** The lease owners (shared/jobs/lease.ts) holding claimed batches. */
  leaseOwners(): Promise<string[]>;
  releaseLeasesOf(owner: string): Promise<number>;
  counts(): Promise<OutboxCounts>;
  listDead(limit: number): Promise<DeadCallResult[]>;
  retryDead(now: number): Promise<number>;
  /** Forgets fingerprints of calls older than any scan will read again. */
  forgetSeenBefore(callDate: string): Promise<number>;
  readState(): Promise<Map<string, string>>;
  writeState(values: Record<string, string>, now: number): Promise<void>;
}

export function createSyncRepository(client: Client): SyncRepository {
  return {
    async findFingerprints(uniqueids) {
      if (uniqueids.length === 0) return new Map();
      const result = await client.execute({
        sql: "SELECT uniqueid, fingerprint FROM call_sync_seen WHERE uniqueid IN (SELECT value FROM json_each(?))",
        args: [JSON.stringify(uniqueids)],
      });
      return new Map(result.rows.map((row) => [String(row.uniqueid), String(row.fingerprint)]));
    },

    async enqueue(rows, now) {
      if (rows.length === 0) return;
      const json = JSON.stringify(rows);
      await client.batch(
        [
          {
            sql: `INSERT INTO call_sync_seen (uniqueid, call_date, fingerprint, seen_at)
                  SELECT j.value ->> 'uniqueid', j.value ->> 'callDate', j.value ->> 'fingerprint', ? FROM json_each(?) AS j WHERE true
                  ON CONFLICT (uniqueid) DO UPDATE SET call_date = excluded.call_date, fingerprint = excluded.fingerprint, seen_at = excluded.seen_at`,
            args: [now, json],
          },
          {
            sql: `INSERT INTO call_sync_outbox (uniqueid, call_date, payload, fingerprint, state, queued_at, attempts)
                  SELECT j.value ->> 'uniqueid', j.value ->> 'callDate', j.value ->> 'payload', j.value ->> 'fingerprint', 'pending', ?, 0 FROM json_each(?) AS j WHERE true
                  ON CONFLICT (uniqueid) DO UPDATE SET call_date = excluded.call_date, payload = excluded.payload, fingerprint = excluded.fingerprint,
                    state = 'pending', queued_at = excluded.queued_at, attempts = 0, last_error = NULL`,
            args: [now, json],
          },
        ],
        "write",
      );
    },

    async claimBatch(limit, leaseToken, now, leaseMs) {
      const result = await client.execute({
        sql: `UPDATE call_sync_outbox SET lease_token = ?, lease_expires_at = ?, attempts = attempts + 1
              WHERE uniqueid IN (
                SELECT uniqueid FROM call_sync_outbox WHERE state = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at <= ?) ORDER BY queued_at LIMIT ?)
              RETURNING uniqueid, payload, fingerprint`,
        args: [leaseToken, now + leaseMs, now, limit],
      });
      return result.rows.map((row) => ({ uniqueid: String(row.uniqueid), payload: String(row.payload), fingerprint: String(row.fingerprint) }));
    },

    async deleteDelivered(rows) {
      if (rows.length === 0) return 0;
      const result = await client.execute({
        sql: "DELETE FROM call_sync_outbox WHERE (uniqueid, fingerprint) IN (SELECT j.value ->> 'uniqueid', j.value ->> 'fingerprint' FROM json_each(?) AS j)",
        args: [JSON.stringify(rows.map(({ uniqueid, fingerprint }) => ({ uniqueid, fingerprint })))],
      });
      return result.rowsAffected;
    },

    async markDead(rows) {
      if (rows.length === 0) return 0;
      const result = await client.execute({
        sql: `UPDATE call_sync_outbox AS o SET state = 'dead', last_error = j.value ->> 'error', lease_token = NULL, lease_expires_at = NULL
              FROM json_each(?) AS j WHERE o.uniqueid = j.value ->> 'uniqueid' AND o.fingerprint = j.value ->> 'fingerprint'`,
        args: [JSON.stringify(rows)],
      });
      return result.rowsAffected;
    },

    async releaseLease(leaseToken, uniqueids) {
      if (uniqueids.length === 0) return;
      await client.execute({
        sql: "UPDATE call_sync_outbox SET lease_token = NULL, lease_expires_at = NULL WHERE uniqueid IN (SELECT value FROM json_each(?)) AND lease_token = ?",
        args: [JSON.stringify(uniqueids), leaseToken],
      });
    },

    async leaseOwners() {
      const result = await client.execute("SELECT DISTINCT lease_token FROM call_sync_outbox WHERE lease_token IS NOT NULL");
      return result.rows.map((row) => String(row.lease_token));
    },

    async releaseLeasesOf(owner) {
      const result = await client.execute({ sql: "UPDATE call_sync_outbox SET lease_token = NULL, lease_expires_at = NULL WHERE lease_token = ?", args: [owner] });
      return result.rowsAffected;
    },

    async counts() {
      const result = await client.execute(
        "SELECT state, count(*) AS n, min(queued_at) AS oldest FROM call_sync_outbox GROUP BY state",
      );
      const counts: OutboxCounts = { pending: 0, dead: 0, oldestPendingQueuedAt: null };
      for (const row of result.rows) {
        if (row.state === "pending") {
          counts.pending = Number(row.n);
          counts.oldestPendingQueuedAt = nullableNumber(row.oldest);
        } else if (row.state === "dead") counts.dead = Number(row.n);
      }
      return counts;
    },

    async listDead(limit) {
      const result = await client.execute({
        sql: "SELECT uniqueid, call_date, last_error, queued_at FROM call_sync_outbox WHERE state = 'dead' ORDER BY queued_at LIMIT ?",
        args: [limit],
      });
      return result.rows.map((row) => ({
        uniqueid: String(row.uniqueid),
        callDate: nullableText(row.call_date),
        lastError: nullableText(row.last_error),
        queuedAt: Number(row.queued_at),
      }));
    },

    async retryDead(now) {
      const result = await client.execute({
        sql: "UPDATE call_sync_outbox SET state = 'pending', attempts = 0, last_error = NULL, queued_at = ? WHERE state = 'dead'",
        args: [now],
      });
      return result.rowsAffected;
    },

    async forgetSeenBefore(callDate) {
      const result = await client.execute({ sql: "DELETE FROM call_sync_seen WHERE call_date < ?", args: [callDate] });
      return result.rowsAffected;
    },

    async readState() {
      const result = await client.execute("SELECT key, value FROM call_sync_state");
      return new Map(result.rows.map((row) => [String(row.key), String(row.value)]));
    },

    async writeState(values, now) {
      const entries = Object.entries(values);
      if (entries.length === 0) return;
      await client.execute({
        sql: `INSERT INTO call_sync_state (key, value, updated_at) SELECT j.value ->> 0, j.value ->> 1, ? FROM json_each(?) AS j WHERE true
              ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        args: [now, JSON.stringify(entries)],
      });
    },
  };
}
