import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * running: holds the lock and stages (one at most) · active: served (one) · previous: kept for
 * rollback (one) · retired: replaced twice over, rows and files removed, report kept · failed:
 * refused or interrupted, never served, the report says why.
 */
export const importStates = ["running", "active", "previous", "retired", "failed"] as const;
export type ImportState = (typeof importStates)[number];
/** `upload`: the importer page; `api`: a machine with an API key (the core's studio); `cli`: `edge import`. */
export const importSources = ["upload", "api", "cli"] as const;
export type ImportSource = (typeof importSources)[number];

export const campaignImports = sqliteTable(
  "campaign_imports",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    state: text("state", { enum: importStates }).notNull(),
    /** receiving, reading, manifest, leads, audio, checking, deploying, done. */
    phase: text("phase").notNull(),
    source: text("source", { enum: importSources }).notNull(),
    fileName: text("file_name").notNull(),
    operator: text("operator"),
    packageBytes: integer("package_bytes"),
    packageSha256: text("package_sha256"),
    campaignId: text("campaign_id"),
    campaignName: text("campaign_name"),
    leadCount: integer("lead_count"),
    audioCount: integer("audio_count"),
    audioBytes: integer("audio_bytes"),
    /** Package path of the campaign's own fallback prompt, if the manifest names one. */
    defaultAudio: text("default_audio"),
    /** JSON: counters of the running phases, for progress bars in any process. */
    progress: text("progress", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** JSON report (ImportReport) once finished. */
    report: text("report", { mode: "json" }).$type<Record<string, unknown>>(),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    startedAt: integer("started_at").notNull(),
    finishedAt: integer("finished_at"),
    activatedAt: integer("activated_at"),
    retiredAt: integer("retired_at"),
    /** Which process runs the import, and until when its claim holds without a heartbeat. */
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: integer("lease_expires_at"),
  },
  (table) => [
    uniqueIndex("campaign_imports_one_running").on(table.state).where(sql`${table.state} = 'running'`),
    uniqueIndex("campaign_imports_one_active").on(table.state).where(sql`${table.state} = 'active'`),
    uniqueIndex("campaign_imports_one_previous").on(table.state).where(sql`${table.state} = 'previous'`),
    index("campaign_imports_started_idx").on(table.startedAt),
    check("campaign_imports_state_check", sql`${table.state} IN ('running', 'active', 'previous', 'retired', 'failed')`),
  ],
);

export const campaignLeads = sqliteTable(
  "campaign_leads",
  {
    importId: integer("import_id")
      .notNull()
      .references(() => campaignImports.id, { onDelete: "cascade" }),
    /** Position in the package (1 = first data row): the order leads are listed in. */
    rowNumber: integer("row_number").notNull(),
    leadId: integer("lead_id").notNull(),
    vendorLeadCode: text("vendor_lead_code").notNull().default(""),
    /** Digits only. */
    phoneNumber: text("phone_number").notNull(),
    /** JSON object of the lead's other columns. */
    fields: text("fields").notNull(),
    /** JSON object: audio slot → package path (`audio/…wav`), "" when the lead has none. */
    audio: text("audio").notNull(),
  },
  (table) => [primaryKey({ columns: [table.importId, table.rowNumber] }), uniqueIndex("campaign_leads_lead_id_unique").on(table.importId, table.leadId)],
);

export const campaignAudioFiles = sqliteTable(
  "campaign_audio_files",
  {
    importId: integer("import_id")
      .notNull()
      .references(() => campaignImports.id, { onDelete: "cascade" }),
    /** Package path, `audio/…`. */
    path: text("path").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    /** Null for `.ulaw` files, which carry no header. */
    durationMs: integer("duration_ms"),
  },
  (table) => [primaryKey({ columns: [table.importId, table.path] })],
);

/** Each rollback, for the history: which import was live, which one went live again, and who asked. */
export const campaignRollbacks = sqliteTable("campaign_rollbacks", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  rolledBackAt: integer("rolled_back_at").notNull(),
  /** Null when it came from `edge rollback` on the command line. */
  operator: text("operator"),
  fromImportId: integer("from_import_id").notNull(),
  toImportId: integer("to_import_id").notNull(),
});

export type CampaignImport = typeof campaignImports.$inferSelect;
export type CampaignLead = typeof campaignLeads.$inferSelect;
export type CampaignAudioFile = typeof campaignAudioFiles.$inferSelect;
export type CampaignRollback = typeof campaignRollbacks.$inferSelect;
