import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A studio campaign: its voice, its script (slot → template, as JSON) and where its generation
 * stands (`draft` → `generating` → `ready`, or `failed` once a lead's job gave up).
 */
export const studioCampaigns = sqliteTable("studio_campaigns", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  language: text("language", { enum: ["ru", "en"] }).notNull(),
  voice: text("voice"),
  /** Slot → template text, in the order the slots were written. */
  scriptJson: text("script_json").notNull().default("{}"),
  rephrase: integer("rephrase", { mode: "boolean" }).notNull().default(false),
  /** Also write each clip's G.711 µ-law sibling (`.ulaw`) and put it in the package. */
  ulaw: integer("ulaw", { mode: "boolean" }).notNull().default(false),
  /** The uploaded leads file's columns, as JSON (lead_id and phone_number among them). */
  columnsJson: text("columns_json").notNull().default("[]"),
  state: text("state", { enum: ["draft", "generating", "ready", "failed"] }).notNull().default("draft"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** A campaign's leads as uploaded; `state` follows the lead's generation job. */
export const studioLeads = sqliteTable(
  "studio_leads",
  {
    campaignId: text("campaign_id")
      .notNull()
      .references(() => studioCampaigns.id, { onDelete: "cascade" }),
    leadId: integer("lead_id").notNull(),
    rowNumber: integer("row_number").notNull(),
    phoneNumber: text("phone_number").notNull(),
    vendorLeadCode: text("vendor_lead_code").notNull(),
    fieldsJson: text("fields_json").notNull(),
    state: text("state", { enum: ["pending", "done", "failed"] }).notNull().default("pending"),
    /** Why the lead's generation gave up, when it did. */
    failure: text("failure"),
    /** Slot → the words written for this lead alone, spoken as written instead of the script's (JSON). */
    textsJson: text("texts_json"),
  },
  (table) => [primaryKey({ columns: [table.campaignId, table.leadId] }), index("studio_leads_campaign_state_idx").on(table.campaignId, table.state)],
);

/** One lead's line for one slot: its text, where the words came from and the clip that speaks it. */
export const studioLines = sqliteTable(
  "studio_lines",
  {
    campaignId: text("campaign_id").notNull(),
    leadId: integer("lead_id").notNull(),
    slot: text("slot").notNull(),
    text: text("text").notNull(),
    /** `edited`: the words written for this lead alone. */
    source: text("source", { enum: ["template", "rephrased", "edited"] }).notNull(),
    /** The synthesis cache's key of the clip; null until spoken. */
    clipKey: text("clip_key"),
    status: text("status", { enum: ["prepared", "spoken"] }).notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.campaignId, table.leadId, table.slot] })],
);

/**
 * An edge the studio publishes packages to: its base URL and the API key made on that edge
 * (`salescontrol-edge api-key add`). The core must present the key, so it is kept as given and
 * never shown again by the API.
 */
export const studioEdges = sqliteTable(
  "studio_edges",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    url: text("url").notNull(),
    apiKey: text("api_key").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [uniqueIndex("studio_edges_name_unique").on(table.name)],
);

/** Each package pushed to an edge and the edge's import report (kept when the edge is removed). */
export const studioPublications = sqliteTable(
  "studio_publications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    campaignId: text("campaign_id")
      .notNull()
      .references(() => studioCampaigns.id, { onDelete: "cascade" }),
    edgeId: integer("edge_id").notNull(),
    edgeName: text("edge_name").notNull(),
    /** The edge's import id; its outcome (deployed, rejected, failed) and report as the edge wrote them. */
    edgeImportId: integer("edge_import_id").notNull(),
    status: text("status", { enum: ["deployed", "rejected", "failed"] }).notNull(),
    reportJson: text("report_json").notNull(),
    packageBytes: integer("package_bytes").notNull(),
    publishedAt: integer("published_at").notNull(),
  },
  (table) => [index("studio_publications_campaign_idx").on(table.campaignId, table.publishedAt)],
);
