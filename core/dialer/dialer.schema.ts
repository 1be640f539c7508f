import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A Twilio dialer campaign: its own contacts, or a studio campaign's leads (then it shares that
 * campaign's id). `linesPerAgent` is the power-dialing ratio, lowered automatically while the
 * abandon rate (humans who reached no agent) is at or above the 3 % rule.
 */
export const dialerCampaigns = sqliteTable("dialer_campaigns", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  studioCampaignId: text("studio_campaign_id"),
  /** Whose call results these calls become; none means the calls are kept here only. */
  tenantId: text("tenant_id"),
  state: text("state", { enum: ["ready", "dialing", "ended"] }).notNull().default("ready"),
  linesPerAgent: integer("lines_per_agent").notNull(),
  machinePolicy: text("machine_policy", { enum: ["hangup", "voicemail"] }).notNull(),
  unknownPolicy: text("unknown_policy", { enum: ["connect", "hangup"] }).notNull(),
  /** How long an answered human waits for an agent before hearing the apology and being recorded as abandoned. */
  waitLimitSeconds: integer("wait_limit_seconds").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** One number to dial; `state` says whether a call for it was placed (a lead is dialled once). */
export const dialerLeads = sqliteTable(
  "dialer_leads",
  {
    campaignId: text("campaign_id").notNull(),
    position: integer("position").notNull(),
    phoneNumber: text("phone_number").notNull(),
    name: text("name"),
    /** The studio lead behind it, whose `voicemail` clip a machine may get. */
    leadId: integer("lead_id"),
    state: text("state", { enum: ["pending", "dialed"] }).notNull().default("pending"),
  },
  (table) => [primaryKey({ columns: [table.campaignId, table.position] }), index("dialer_leads_campaign_state_idx").on(table.campaignId, table.state, table.position)],
);

/**
 * One call, recorded before Twilio is asked to place it (so a lost answer is reconciled, never
 * placed twice), then moved through its states by webhooks: placing → placed → ringing → answered
 * → queued → human/machine/unknown → bridged → ended, with `reason` saying how it ended.
 */
export const dialerCalls = sqliteTable(
  "dialer_calls",
  {
    id: text("id").primaryKey(),
    campaignId: text("campaign_id").notNull(),
    position: integer("position").notNull(),
    phoneNumber: text("phone_number").notNull(),
    callerId: text("caller_id").notNull(),
    callSid: text("call_sid"),
    state: text("state", { enum: ["placing", "placed", "ringing", "answered", "queued", "human", "machine", "unknown", "bridged", "ended"] }).notNull(),
    /** The last status callback applied: its CallStatus and SequenceNumber. */
    twilioStatus: text("twilio_status"),
    statusSequence: integer("status_sequence").notNull().default(-1),
    answeredAt: integer("answered_at"),
    queuedAt: integer("queued_at"),
    /** AnsweredBy as Twilio sent it (machine_start, machine_end_beep, …), or `unknown` when the verdict never came. */
    answeredBy: text("answered_by"),
    verdictSource: text("verdict_source", { enum: ["amd", "timeout"] }),
    verdictAt: integer("verdict_at"),
    agentIdentity: text("agent_identity"),
    bridgedAt: integer("bridged_at"),
    endedAt: integer("ended_at"),
    durationSeconds: integer("duration_seconds"),
    /** How the call ended: completed, busy, no_answer, failed, canceled, machine_hangup, voicemail, unknown_hangup, abandoned, place_failed. */
    reason: text("reason"),
    disposition: text("disposition"),
    placeAttempts: integer("place_attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("dialer_calls_call_sid_unique").on(table.callSid),
    index("dialer_calls_campaign_state_idx").on(table.campaignId, table.state),
    uniqueIndex("dialer_calls_campaign_position_unique").on(table.campaignId, table.position),
  ],
);

/** An agent whose browser leg sits in their own conference; `callId` is the customer bridged to them. */
export const dialerAgents = sqliteTable(
  "dialer_agents",
  {
    campaignId: text("campaign_id").notNull(),
    identity: text("identity").notNull(),
    state: text("state", { enum: ["available", "busy", "away"] }).notNull(),
    callId: text("call_id"),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.campaignId, table.identity] })],
);
