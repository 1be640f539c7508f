import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { ResultSet } from "@libsql/client";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { builtOnce, rowsOf } from "../db/built-statement.ts";
import type { Clock } from "../runtime/clock.ts";
import { type BackoffPolicy, backoffDelayMs } from "./backoff.ts";
import { type JobRow, type JobState, jobs } from "./jobs.schema.ts";
import { createLeaseOwner } from "./lease.ts";

export interface JobQueueOptions {
  clock: Clock;
  backoff: BackoffPolicy;
  /** How long a claim holds a job before another worker may take it over. */
  leaseMs: number;
  /** Attempts before a job is moved to `dead`. */
  maxAttempts: number;
  random?: () => number;
}

export interface ClaimedJob {
  id: number;
  queue: string;
  payload: unknown;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  leaseToken: string;
  leaseExpiresAt: number;
}

export type FailOutcome = "retrying" | "dead" | "lease_lost";

export interface JobQueue {
  enqueue(queue: string, payload: unknown, options?: { dedupeKey?: string; runAt?: number; maxAttempts?: number }): Promise<{ id: number; created: boolean }>;
  claim(queues: string | readonly string[], options?: { leaseMs?: number }): Promise<ClaimedJob | null>;
  /** Extends the lease; false means the lease was lost and the work must stop. */
  heartbeat(job: Pick<ClaimedJob, "id" | "leaseToken">, leaseMs?: number): Promise<boolean>;
  complete(job: Pick<ClaimedJob, "id" | "leaseToken">): Promise<boolean>;
  fail(job: Pick<ClaimedJob, "id" | "leaseToken">, error: string, options?: { permanent?: boolean }): Promise<FailOutcome>;
  /** Puts a dead job back in the queue with a fresh set of attempts. */
  retryDead(id: number): Promise<boolean>;
  get(id: number): Promise<JobRow | null>;
  counts(): Promise<Record<string, Record<JobState, number>>>;
  listDead(queue?: string, limit?: number): Promise<JobRow[]>;
  /** Jobs of one queue still waiting, running or dead: cheap (the claim index), unlike counts(). */
  backlog(queue: string): Promise<Record<Exclude<JobState, "done">, number>>;
  /**
   * Deletes done jobs finished before `timestamp`. With a queue it deletes at most `limit` rows
   * through the claim index, so a large table is purged in short steps.
   */
  deleteFinishedBefore(timestamp: number, options?: { queue: string; limit: number }): Promise<number>;
}

/** A database or an open transaction on it: enqueueing inside a caller's transaction keeps both atomic. */
type AnyDatabase = BaseSQLiteDatabase<"async", ResultSet, any>;

const enqueuedSelection = { id: jobs.id };
type EnqueuedJob = Pick<typeof jobs.$inferInsert, "queue" | "dedupeKey" | "payload" | "maxAttempts" | "runAt" | "createdAt">;

// Every chunk upload enqueues a job in its transaction: built once, 0.065–0.092 ms against 0.13–0.24 ms through the query builder (CPU per call, 2,000 calls in one transaction).
const enqueueStatement = builtOnce<EnqueuedJob>((db) =>
  db
    .insert(jobs)
    .values({
      queue: sql.placeholder("queue"),
      dedupeKey: sql.placeholder("dedupeKey"),
      payload: sql.placeholder("payload"),
      state: "queued",
      attempts: 0,
      maxAttempts: sql.placeholder("maxAttempts"),
      runAt: sql.placeholder("runAt"),
      createdAt: sql.placeholder("createdAt"),
      updatedAt: sql.placeholder("createdAt"),
    })
    .onConflictDoNothing()
    .returning(enqueuedSelection)
    .toSQL(),
);

export function createJobQueue(db: AnyDatabase, options: JobQueueOptions): JobQueue {
  const { clock } = options;
  const random = options.random ?? Math.random;
  const maxErrorLength = 2000;

  return {
    async enqueue(queue, payload, enqueueOptions = {}) {
      const now = clock.now();
      const inserted = await enqueueStatement.run(db, {
        queue,
        dedupeKey: enqueueOptions.dedupeKey ?? null,
        payload: JSON.stringify(payload ?? {}),
        maxAttempts: enqueueOptions.maxAttempts ?? options.maxAttempts,
        runAt: enqueueOptions.runAt ?? now,
        createdAt: now,
      });
      const [created] = rowsOf<{ id: number }>(inserted, enqueuedSelection);
      if (created) return { id: created.id, created: true };
      const existing = await db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.queue, queue), eq(jobs.dedupeKey, enqueueOptions.dedupeKey ?? "")))
        .limit(1);
      if (!existing[0]) throw new Error(`job for ${queue} was neither inserted nor found`);
      return { id: existing[0].id, created: false };
    },

    async claim(queues, claimOptions = {}) {
      const names = typeof queues === "string" ? [queues] : [...queues];
      const now = clock.now();
      const leaseMs = claimOptions.leaseMs ?? options.leaseMs;
      // A worker that died on a job's last attempt leaves an expired lease: that job is dead, not retried.
      await db
        .update(jobs)
        .set({ state: "dead", lastError: sql`coalesce(${jobs.lastError} || '; ', '') || 'lease expired on the last attempt (worker lost)'`, leaseToken: null, updatedAt: now, finishedAt: now })
        .where(and(inArray(jobs.queue, names), eq(jobs.state, "running"), lte(jobs.leaseExpiresAt, now), sql`${jobs.attempts} >= ${jobs.maxAttempts}`));
      const leaseToken = createLeaseOwner();
      const claimable = sql`(SELECT id FROM ${jobs} WHERE ${inArray(jobs.queue, names)} AND ((${jobs.state} = 'queued' AND ${jobs.runAt} <= ${now}) OR (${jobs.state} = 'running' AND ${jobs.leaseExpiresAt} <= ${now})) ORDER BY ${jobs.runAt}, ${jobs.id} LIMIT 1)`;
      const claimed = await db
        .update(jobs)
        .set({ state: "running", attempts: sql`${jobs.attempts} + 1`, leaseToken, leaseExpiresAt: now + leaseMs, updatedAt: now })
        .where(eq(jobs.id, claimable))
        .returning();
      const row = claimed[0];
      if (!row) return null;
      return {
        id: row.id,
        queue: row.queue,
        payload: JSON.parse(row.payload),
        attempt: row.attempts,
        maxAttempts: row.maxAttempts,
        leaseToken,
        leaseExpiresAt: now + leaseMs,
      };
    },

    async heartbeat(job, leaseMs = options.leaseMs) {
      const now = clock.now();
      const updated = await db
        .update(jobs)
        .set({ leaseExpiresAt: now + leaseMs, updatedAt: now })
        .where(heldBy(job))
        .returning({ id: jobs.id });
      return updated.length === 1;
    },

    async complete(job) {
      const now = clock.now();
      const updated = await db
        .update(jobs)
        .set({ state: "done", leaseToken: null, leaseExpiresAt: null, updatedAt: now, finishedAt: now })
        .where(heldBy(job))
        .returning({ id: jobs.id });
      return updated.length === 1;
    },

    async fail(job, error, failOptions = {}) {
      const now = clock.now();
      const rows = await db.select().from(jobs).where(heldBy(job)).limit(1);
      const row = rows[0];
      if (!row) return "lease_lost";
      const message = error.length > maxErrorLength ? `${error.slice(0, maxErrorLength)}…` : error;
      const dead = failOptions.permanent === true || row.attempts >= row.maxAttempts;
      const updated = await db
        .update(jobs)
        .set(
          dead
            ? { state: "dead", lastError: message, leaseToken: null, leaseExpiresAt: null, updatedAt: now, finishedAt: now }
            : {
                state: "queued",
                lastError: message,
                leaseToken: null,
                leaseExpiresAt: null,
                runAt: now + backoffDelayMs(row.attempts, options.backoff, random),
                updatedAt: now,
              },
        )
        .where(heldBy(job))
        .returning({ id: jobs.id });
      if (updated.length === 0) return "lease_lost";
      return dead ? "dead" : "retrying";
    },

    async retryDead(id) {
      const now = clock.now();
      const updated = await db
        .update(jobs)
        .set({ state: "queued", attempts: 0, runAt: now, finishedAt: null, updatedAt: now })
        .where(and(eq(jobs.id, id), eq(jobs.state, "dead")))
        .returning({ id: jobs.id });
      return updated.length === 1;
    },

    async get(id) {
      const rows = await db.select().from(jobs).where(eq(jobs.id, id)).limit(1);
      return rows[0] ?? null;
    },

    async counts() {
      const rows = await db
        .select({ queue: jobs.queue, state: jobs.state, count: sql<number>`count(*)` })
        .from(jobs)
        .groupBy(jobs.queue, jobs.state);
      const result: Record<string, Record<JobState, number>> = {};
      for (const row of rows) {
        result[row.queue] ??= { queued: 0, running: 0, done: 0, dead: 0 };
        result[row.queue]![row.state] = Number(row.count);
      }
      return result;
    },

    async listDead(queue, limit = 100) {
      const condition = queue ? and(eq(jobs.state, "dead"), eq(jobs.queue, queue)) : eq(jobs.state, "dead");
      return db.select().from(jobs).where(condition).orderBy(jobs.id).limit(limit);
    },

    async backlog(queue) {
      const rows = await db
        .select({ state: jobs.state, count: sql<number>`count(*)` })
        .from(jobs)
        .where(and(eq(jobs.queue, queue), inArray(jobs.state, ["queued", "running", "dead"])))
        .groupBy(jobs.state);
      const result = { queued: 0, running: 0, dead: 0 };
      for (const row of rows) if (row.state !== "done") result[row.state] = Number(row.count);
      return result;
    },

    async deleteFinishedBefore(timestamp, purgeOptions) {
      const condition = purgeOptions
        ? // run_at ≤ finished_at, so the run_at bound only narrows the index range.
          inArray(
            jobs.id,
            db
              .select({ id: jobs.id })
              .from(jobs)
              .where(and(eq(jobs.queue, purgeOptions.queue), eq(jobs.state, "done"), lte(jobs.runAt, timestamp), lte(jobs.finishedAt, timestamp)))
              .limit(purgeOptions.limit),
          )
        : and(eq(jobs.state, "done"), lte(jobs.finishedAt, timestamp));
      const deleted = await db.delete(jobs).where(condition).returning({ id: jobs.id });
      return deleted.length;
    },
  };
}

function heldBy(job: Pick<ClaimedJob, "id" | "leaseToken">) {
  return and(eq(jobs.id, job.id), eq(jobs.state, "running"), eq(jobs.leaseToken, job.leaseToken));
}
