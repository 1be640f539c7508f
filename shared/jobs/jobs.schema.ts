import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const jobStates = ["queued", "running", "done", "dead"] as const;
export type JobState = (typeof jobStates)[number];

/**
 * Durable work: a row per job, claimed with a lease, retried with backoff, and moved to `dead`
 * (visible, never deleted) after its last attempt. Nodes that run jobs re-export this table from
 * their schema so drizzle-kit generates it into their migrations.
 */
export const jobs = sqliteTable(
  "jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    queue: text("queue").notNull(),
    /** Makes enqueueing idempotent: one job per (queue, dedupe_key). */
    dedupeKey: text("dedupe_key"),
    payload: text("payload").notNull().default("{}"),
    state: text("state", { enum: jobStates }).notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    runAt: integer("run_at").notNull(),
    leaseToken: text("lease_token"),
    leaseExpiresAt: integer("lease_expires_at"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (table) => [
    uniqueIndex("jobs_queue_dedupe_key_unique").on(table.queue, table.dedupeKey),
    index("jobs_claim_idx").on(table.queue, table.state, table.runAt),
    check("jobs_state_check", sql`${table.state} IN ('queued', 'running', 'done', 'dead')`),
  ],
);

export type JobRow = typeof jobs.$inferSelect;
