import { and, asc, count, eq, inArray, isNotNull, lt, min, sql } from "drizzle-orm";
import type { EdgeDatabase } from "../db/edge-database.ts";
import type { SerializedCallResult } from "./call-result-payload.ts";
import { type CallSyncOutboxRow, callSyncOutbox, callSyncSeen, callSyncState } from "./sync.schema.ts";

export type ClaimedCallResult = Pick<CallSyncOutboxRow, "uniqueid" | "payload" | "fingerprint">;

export interface OutboxCounts {
  pending: number;
  dead: number;
  oldestPendingQueuedAt: number | null;
}

export type DeadCallResult = Pick<CallSyncOutboxRow, "uniqueid" | "callDate" | "lastError" | "queuedAt">;

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

// Batches travel as one JSON parameter read with json_each (a few thousand ids, no parameter limit):
// the query builder has no json_each, so those statements are sql templates.
export function createSyncRepository(db: EdgeDatabase): SyncRepository {
  return {
    async findFingerprints(uniqueids) {
      if (uniqueids.length === 0) return new Map();
      const rows = await db
        .select({ uniqueid: callSyncSeen.uniqueid, fingerprint: callSyncSeen.fingerprint })
        .from(callSyncSeen)
        .where(sql`${callSyncSeen.uniqueid} IN (SELECT value FROM json_each(${JSON.stringify(uniqueids)}))`);
      return new Map(rows.map((row) => [row.uniqueid, row.fingerprint]));
    },

    async enqueue(rows, now) {
      if (rows.length === 0) return;
      const json = JSON.stringify(rows);
      await db.batch([
        db.run(sql`INSERT INTO ${callSyncSeen} (uniqueid, call_date, fingerprint, seen_at)
                  SELECT j.value ->> 'uniqueid', j.value ->> 'callDate', j.value ->> 'fingerprint', ${now} FROM json_each(${json}) AS j WHERE true
                  ON CONFLICT (uniqueid) DO UPDATE SET call_date = excluded.call_date, fingerprint = excluded.fingerprint, seen_at = excluded.seen_at`),
        db.run(sql`INSERT INTO ${callSyncOutbox} (uniqueid, call_date, payload, fingerprint, state, queued_at, attempts)
                  SELECT j.value ->> 'uniqueid', j.value ->> 'callDate', j.value ->> 'payload', j.value ->> 'fingerprint', 'pending', ${now}, 0 FROM json_each(${json}) AS j WHERE true
                  ON CONFLICT (uniqueid) DO UPDATE SET call_date = excluded.call_date, payload = excluded.payload, fingerprint = excluded.fingerprint,
                    state = 'pending', queued_at = excluded.queued_at, attempts = 0, last_error = NULL`),
      ]);
    },

    async claimBatch(limit, leaseToken, now, leaseMs) {
      const claimable = db
        .select({ uniqueid: callSyncOutbox.uniqueid })
        .from(callSyncOutbox)
        .where(and(eq(callSyncOutbox.state, "pending"), sql`(${callSyncOutbox.leaseExpiresAt} IS NULL OR ${callSyncOutbox.leaseExpiresAt} <= ${now})`))
        .orderBy(asc(callSyncOutbox.queuedAt))
        .limit(limit);
      return db
        .update(callSyncOutbox)
        .set({ leaseToken, leaseExpiresAt: now + leaseMs, attempts: sql`${callSyncOutbox.attempts} + 1` })
        .where(inArray(callSyncOutbox.uniqueid, claimable))
        .returning({ uniqueid: callSyncOutbox.uniqueid, payload: callSyncOutbox.payload, fingerprint: callSyncOutbox.fingerprint });
    },

    async deleteDelivered(rows) {
      if (rows.length === 0) return 0;
      const json = JSON.stringify(rows.map(({ uniqueid, fingerprint }) => ({ uniqueid, fingerprint })));
      const result = await db.run(sql`DELETE FROM ${callSyncOutbox} WHERE (uniqueid, fingerprint) IN (SELECT j.value ->> 'uniqueid', j.value ->> 'fingerprint' FROM json_each(${json}) AS j)`);
      return result.rowsAffected;
    },

    async markDead(rows) {
      if (rows.length === 0) return 0;
      const result = await db.run(sql`UPDATE ${callSyncOutbox} AS o SET state = 'dead', last_error = j.value ->> 'error', lease_token = NULL, lease_expires_at = NULL
              FROM json_each(${JSON.stringify(rows)}) AS j WHERE o.uniqueid = j.value ->> 'uniqueid' AND o.fingerprint = j.value ->> 'fingerprint'`);
      return result.rowsAffected;
    },

    async releaseLease(leaseToken, uniqueids) {
      if (uniqueids.length === 0) return;
      await db
        .update(callSyncOutbox)
        .set({ leaseToken: null, leaseExpiresAt: null })
        .where(and(sql`${callSyncOutbox.uniqueid} IN (SELECT value FROM json_each(${JSON.stringify(uniqueids)}))`, eq(callSyncOutbox.leaseToken, leaseToken)));
    },

    async leaseOwners() {
      const rows = await db.selectDistinct({ leaseToken: callSyncOutbox.leaseToken }).from(callSyncOutbox).where(isNotNull(callSyncOutbox.leaseToken));
      return rows.map((row) => row.leaseToken!);
    },

    async releaseLeasesOf(owner) {
      const result = await db.update(callSyncOutbox).set({ leaseToken: null, leaseExpiresAt: null }).where(eq(callSyncOutbox.leaseToken, owner));
      return result.rowsAffected;
    },

    async counts() {
      const rows = await db.select({ state: callSyncOutbox.state, n: count(), oldest: min(callSyncOutbox.queuedAt) }).from(callSyncOutbox).groupBy(callSyncOutbox.state);
      const counts: OutboxCounts = { pending: 0, dead: 0, oldestPendingQueuedAt: null };
      for (const row of rows) {
        if (row.state === "pending") {
          counts.pending = row.n;
          counts.oldestPendingQueuedAt = row.oldest;
        } else if (row.state === "dead") counts.dead = row.n;
      }
      return counts;
    },

    async listDead(limit) {
      return db
        .select({ uniqueid: callSyncOutbox.uniqueid, callDate: callSyncOutbox.callDate, lastError: callSyncOutbox.lastError, queuedAt: callSyncOutbox.queuedAt })
        .from(callSyncOutbox)
        .where(eq(callSyncOutbox.state, "dead"))
        .orderBy(asc(callSyncOutbox.queuedAt))
        .limit(limit);
    },

    async retryDead(now) {
      const result = await db.update(callSyncOutbox).set({ state: "pending", attempts: 0, lastError: null, queuedAt: now }).where(eq(callSyncOutbox.state, "dead"));
      return result.rowsAffected;
    },

    async forgetSeenBefore(callDate) {
      const result = await db.delete(callSyncSeen).where(lt(callSyncSeen.callDate, callDate));
      return result.rowsAffected;
    },

    async readState() {
      const rows = await db.select({ key: callSyncState.key, value: callSyncState.value }).from(callSyncState);
      return new Map(rows.map((row) => [row.key, row.value]));
    },

    async writeState(values, now) {
      const entries = Object.entries(values);
      if (entries.length === 0) return;
      await db
        .insert(callSyncState)
        .values(entries.map(([key, value]) => ({ key, value, updatedAt: now })))
        .onConflictDoUpdate({ target: callSyncState.key, set: { value: sql`excluded.value`, updatedAt: sql`excluded.updated_at` } });
    },
  };
}
