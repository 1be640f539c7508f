import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { type CallOutcome, callOutcomes } from "./dispositions.ts";

const outcomeList = callOutcomes.map((outcome) => `'${outcome}'`).join(", ");

/** The latest state of every call a tenant's dialers reported, one row per (tenant, uniqueid). */
export const callResults = sqliteTable(
  "call_results",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id").notNull(),
    uniqueid: text("uniqueid").notNull(),
    leadId: text("lead_id"),
    listId: text("list_id"),
    campaignId: text("campaign_id"),
    phoneNumber: text("phone_number"),
    phoneCode: text("phone_code"),
    disposition: text("disposition"),
    duration: integer("duration"),
    agentId: text("agent_id"),
    userGroup: text("user_group"),
    termReason: text("term_reason"),
    comments: text("comments"),
    altDial: text("alt_dial"),
    calledCount: integer("called_count"),
    /** The dialer's local wall time, as VICIdial stores it. */
    callDate: text("call_date"),
    startEpoch: integer("start_epoch"),
    endEpoch: integer("end_epoch"),
    /** What the disposition means under the tenant's mapping. */
    result: text("result").$type<CallOutcome>().notNull(),
    /** Hour of call_date (0–23): the dialer's local hour, for hour-of-day statistics. */
    callHour: integer("call_hour"),
    /** The customer's number as DID selections record it, to attribute the call to the DID presented. */
    phoneKey: text("phone_key"),
    contentHash: text("content_hash").notNull(),
    selectionId: integer("selection_id"),
    didId: text("did_id"),
    didNumber: text("did_number"),
    revision: integer("revision").notNull().default(1),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("call_results_tenant_uniqueid_unique").on(table.tenantId, table.uniqueid),
    index("call_results_tenant_start_idx").on(table.tenantId, table.startEpoch),
    index("call_results_tenant_did_start_idx").on(table.tenantId, table.didId, table.startEpoch),
    check("call_results_result_check", sql.raw(`"result" IN (${outcomeList})`)),
  ],
);

/** Every change to a stored call result: which fields changed, from what, to what. */
export const callResultChanges = sqliteTable(
  "call_result_changes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id").notNull(),
    callResultId: integer("call_result_id").notNull(),
    uniqueid: text("uniqueid").notNull(),
    /** The record's revision after this change. */
    revision: integer("revision").notNull(),
    changedAt: integer("changed_at").notNull(),
    /** JSON object: field → [before, after]. */
    changes: text("changes", { mode: "json" }).$type<Record<string, [unknown, unknown]>>().notNull(),
  },
  (table) => [index("call_result_changes_tenant_uniqueid_idx").on(table.tenantId, table.uniqueid)],
);

/** A tenant's own meaning for a status, over the built-in mapping. */
export const dispositionOverrides = sqliteTable(
  "disposition_overrides",
  {
    tenantId: text("tenant_id").notNull(),
    status: text("status").notNull(),
    result: text("result").$type<CallOutcome>().notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.status] }), check("disposition_overrides_result_check", sql.raw(`"result" IN (${outcomeList})`))],
);
