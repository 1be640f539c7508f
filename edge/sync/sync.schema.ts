import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The fingerprint of the version of each vicidial_log row last queued for the core. */
export const callSyncSeen = sqliteTable(
  "call_sync_seen",
  {
    uniqueid: text("uniqueid").primaryKey(),
    callDate: text("call_date"),
    fingerprint: text("fingerprint").notNull(),
    seenAt: integer("seen_at").notNull(),
  },
  (table) => [index("call_sync_seen_call_date_idx").on(table.callDate)],
);

/**
 * Call results waiting for the core: one row per call (a newer version replaces the payload),
 * claimed in batches with a lease, deleted once the core has them. A row the core refuses goes
 * `dead` with the reason, visible in /health and `edge sync --status`, until it changes or is retried.
 */
export const callSyncOutbox = sqliteTable(
  "call_sync_outbox",
  {
    uniqueid: text("uniqueid").primaryKey(),
    callDate: text("call_date"),
    /** The wire form (shared/contracts/call-results.ts), serialised once. */
    payload: text("payload").notNull(),
    fingerprint: text("fingerprint").notNull(),
    state: text("state", { enum: ["pending", "dead"] }).notNull().default("pending"),
    queuedAt: integer("queued_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    leaseToken: text("lease_token"),
    leaseExpiresAt: integer("lease_expires_at"),
    lastError: text("last_error"),
  },
  (table) => [index("call_sync_outbox_state_queued_idx").on(table.state, table.queuedAt), check("call_sync_outbox_state_check", sql`${table.state} IN ('pending', 'dead')`)],
);

/** Where the scans have got to, and the last outcome of each stage, surviving restarts. */
export const callSyncState = sqliteTable("call_sync_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export type CallSyncOutboxRow = typeof callSyncOutbox.$inferSelect;
