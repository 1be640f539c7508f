import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A caller ID a tenant may present. `campaign_id` null puts it in the tenant's shared pool. */
export const dids = sqliteTable(
  "dids",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    /** Digits only; NANP numbers without the leading 1. */
    phoneNumber: text("phone_number").notNull(),
    areaCode: text("area_code"),
    state: text("state"),
    latitude: real("latitude"),
    longitude: real("longitude"),
    campaignId: text("campaign_id"),
    /** Selections allowed per day in the tenant's time zone; null for no limit. */
    dailyLimit: integer("daily_limit"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [uniqueIndex("dids_tenant_phone_unique").on(table.tenantId, table.phoneNumber), index("dids_tenant_campaign_idx").on(table.tenantId, table.campaignId)],
);

/** Every DID handed to a dialer, with the call it was for, so results count for the DID presented. */
export const didSelections = sqliteTable(
  "did_selections",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id").notNull(),
    didId: text("did_id").notNull(),
    didNumber: text("did_number").notNull(),
    campaignId: text("campaign_id"),
    customerPhoneKey: text("customer_phone_key"),
    leadId: text("lead_id"),
    uniqueid: text("uniqueid"),
    agentId: text("agent_id"),
    method: text("method").notNull(),
    selectedAt: integer("selected_at").notNull(),
  },
  (table) => [
    index("did_selections_tenant_uniqueid_idx").on(table.tenantId, table.uniqueid),
    index("did_selections_tenant_phone_idx").on(table.tenantId, table.customerPhoneKey, table.selectedAt),
    index("did_selections_tenant_did_idx").on(table.tenantId, table.didId, table.selectedAt),
  ],
);

/** Where an area code is (its centroid), for "nearest DID" when none shares the customer's area code. */
export const areaCodes = sqliteTable("area_codes", {
  areaCode: text("area_code").primaryKey(),
  state: text("state"),
  latitude: real("latitude").notNull(),
  longitude: real("longitude").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
