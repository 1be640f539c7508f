import { and, asc, between, count, eq, gt, isNotNull } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import type { StudioLead } from "./studio-leads.ts";
import type { StudioScript } from "./studio-script.ts";
import { studioCampaigns, studioLeads, studioLines } from "./studio.schema.ts";

export type StudioCampaignRow = typeof studioCampaigns.$inferSelect;
export type StudioCampaignState = StudioCampaignRow["state"];

export interface StudioCampaign {
  id: string;
  name: string;
  language: "ru" | "en";
  voice: string | null;
  script: StudioScript;
  rephrase: boolean;
  /** Each clip also as G.711 µ-law (`.ulaw`), generated and exported beside its WAV. */
  ulaw: boolean;
  columns: string[];
  state: StudioCampaignState;
  createdAt: number;
  updatedAt: number;
}

export interface StudioLineRecord {
  slot: string;
  text: string;
  source: "template" | "rephrased";
  clipKey: string | null;
}

export interface StudioProgress {
  total: number;
  done: number;
  failed: number;
  failures: Array<{ leadId: number; reason: string }>;
}

/** Rows per multi-row INSERT: 500 leads × 7 values stays below SQLite's limit on bound parameters. */
const rowsPerInsert = 500;

function campaignOf(row: StudioCampaignRow): StudioCampaign {
  return {
    id: row.id,
    name: row.name,
    language: row.language,
    voice: row.voice,
    script: JSON.parse(row.scriptJson) as StudioScript,
    rephrase: row.rephrase,
    ulaw: row.ulaw,
    columns: JSON.parse(row.columnsJson) as string[],
    state: row.state,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function leadOf(row: typeof studioLeads.$inferSelect): StudioLead {
  return { leadId: row.leadId, rowNumber: row.rowNumber, phoneNumber: row.phoneNumber, vendorLeadCode: row.vendorLeadCode, fields: JSON.parse(row.fieldsJson) as Record<string, string> };
}

export function createStudioRepository(db: CoreDatabase) {
  return {
    /** False when a campaign with this id exists already. */
    async createCampaign(campaign: { id: string; name: string; language: "ru" | "en"; voice: string | null; ulaw: boolean }, now: number): Promise<boolean> {
      const inserted = await db
        .insert(studioCampaigns)
        .values({ ...campaign, createdAt: now, updatedAt: now })
        .onConflictDoNothing()
        .returning({ id: studioCampaigns.id });
      return inserted.length > 0;
    },

    async findCampaign(id: string): Promise<StudioCampaign | null> {
      const rows = await db.select().from(studioCampaigns).where(eq(studioCampaigns.id, id));
      return rows[0] ? campaignOf(rows[0]) : null;
    },

    /** Replaces every lead of the campaign and its lines in one transaction; the campaign goes back to draft. */
    async replaceLeads(campaignId: string, columns: readonly string[], leads: readonly StudioLead[], now: number): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(studioLines).where(eq(studioLines.campaignId, campaignId));
        await tx.delete(studioLeads).where(eq(studioLeads.campaignId, campaignId));
        for (let start = 0; start < leads.length; start += rowsPerInsert) {
          await tx.insert(studioLeads).values(
            leads.slice(start, start + rowsPerInsert).map((lead) => ({
              campaignId,
              leadId: lead.leadId,
              rowNumber: lead.rowNumber,
              phoneNumber: lead.phoneNumber,
              vendorLeadCode: lead.vendorLeadCode,
              fieldsJson: JSON.stringify(lead.fields),
            })),
          );
        }
        await tx.update(studioCampaigns).set({ columnsJson: JSON.stringify(columns), state: "draft", updatedAt: now }).where(eq(studioCampaigns.id, campaignId));
      });
    },

    async setScript(campaignId: string, script: StudioScript, settings: { rephrase: boolean; ulaw: boolean }, now: number): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(studioLines).where(eq(studioLines.campaignId, campaignId));
        await tx.update(studioLeads).set({ state: "pending", failure: null }).where(eq(studioLeads.campaignId, campaignId));
        await tx.update(studioCampaigns).set({ scriptJson: JSON.stringify(script), rephrase: settings.rephrase, ulaw: settings.ulaw, state: "draft", updatedAt: now }).where(eq(studioCampaigns.id, campaignId));
      });
    },

    /** Every lead back to pending and the campaign to `generating`; `enqueue` runs in the same transaction per lead. */
    async startGeneration(campaignId: string, now: number, enqueue: (tx: CoreDatabase, lead: StudioLead) => Promise<void>): Promise<number> {
      return db.transaction(async (tx) => {
        const transaction = tx as unknown as CoreDatabase;
        await tx.delete(studioLines).where(eq(studioLines.campaignId, campaignId));
        await tx.update(studioLeads).set({ state: "pending", failure: null }).where(eq(studioLeads.campaignId, campaignId));
        await tx.update(studioCampaigns).set({ state: "generating", updatedAt: now }).where(eq(studioCampaigns.id, campaignId));
        const leads = await tx.select().from(studioLeads).where(eq(studioLeads.campaignId, campaignId)).orderBy(asc(studioLeads.leadId));
        for (const lead of leads) await enqueue(transaction, leadOf(lead));
        return leads.length;
      });
    },

    async findLead(campaignId: string, leadId: number): Promise<StudioLead | null> {
      const rows = await db
        .select()
        .from(studioLeads)
        .where(and(eq(studioLeads.campaignId, campaignId), eq(studioLeads.leadId, leadId)));
      return rows[0] ? leadOf(rows[0]) : null;
    },

    /** Leads in lead_id order, a page at a time, after `afterLeadId`. */
    async leadsPage(campaignId: string, afterLeadId: number, limit: number): Promise<StudioLead[]> {
      const rows = await db
        .select()
        .from(studioLeads)
        .where(and(eq(studioLeads.campaignId, campaignId), gt(studioLeads.leadId, afterLeadId)))
        .orderBy(asc(studioLeads.leadId))
        .limit(limit);
      return rows.map(leadOf);
    },

    async linesOf(campaignId: string, leadIds: readonly number[]): Promise<Map<number, StudioLineRecord[]>> {
      const byLead = new Map<number, StudioLineRecord[]>();
      if (leadIds.length === 0) return byLead;
      const first = Math.min(...leadIds);
      const last = Math.max(...leadIds);
      const rows = await db
        .select()
        .from(studioLines)
        .where(and(eq(studioLines.campaignId, campaignId), between(studioLines.leadId, first, last)));
      for (const row of rows) {
        const lines = byLead.get(row.leadId) ?? [];
        lines.push({ slot: row.slot, text: row.text, source: row.source, clipKey: row.clipKey });
        byLead.set(row.leadId, lines);
      }
      return byLead;
    },

    /** Stores a lead's spoken lines and marks it done; the campaign is ready once no lead is pending. */
    async completeLead(campaignId: string, leadId: number, lines: readonly StudioLineRecord[], now: number): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(studioLines).where(and(eq(studioLines.campaignId, campaignId), eq(studioLines.leadId, leadId)));
        if (lines.length > 0) {
          await tx.insert(studioLines).values(lines.map((line) => ({ campaignId, leadId, ...line, status: line.clipKey ? ("spoken" as const) : ("prepared" as const), updatedAt: now })));
        }
        await tx.update(studioLeads).set({ state: "done", failure: null }).where(and(eq(studioLeads.campaignId, campaignId), eq(studioLeads.leadId, leadId)));
        await settleCampaign(tx as unknown as CoreDatabase, campaignId, now);
      });
    },

    async failLead(campaignId: string, leadId: number, reason: string, now: number): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.update(studioLeads).set({ state: "failed", failure: reason }).where(and(eq(studioLeads.campaignId, campaignId), eq(studioLeads.leadId, leadId)));
        await settleCampaign(tx as unknown as CoreDatabase, campaignId, now);
      });
    },

    async progress(campaignId: string, maxFailures = 100): Promise<StudioProgress> {
      const counts = await db
        .select({ state: studioLeads.state, leads: count() })
        .from(studioLeads)
        .where(eq(studioLeads.campaignId, campaignId))
        .groupBy(studioLeads.state);
      const of = (state: string) => counts.find((row) => row.state === state)?.leads ?? 0;
      const failures = await db
        .select({ leadId: studioLeads.leadId, reason: studioLeads.failure })
        .from(studioLeads)
        .where(and(eq(studioLeads.campaignId, campaignId), eq(studioLeads.state, "failed"), isNotNull(studioLeads.failure)))
        .orderBy(asc(studioLeads.leadId))
        .limit(maxFailures);
      return {
        total: counts.reduce((sum, row) => sum + row.leads, 0),
        done: of("done"),
        failed: of("failed"),
        failures: failures.map((row) => ({ leadId: row.leadId, reason: row.reason ?? "" })),
      };
    },
  };
}

export type StudioRepository = ReturnType<typeof createStudioRepository>;

/** A generating campaign with no lead pending is ready, or failed when any lead gave up. */
async function settleCampaign(db: CoreDatabase, campaignId: string, now: number): Promise<void> {
  const pending = await db
    .select({ leads: count() })
    .from(studioLeads)
    .where(and(eq(studioLeads.campaignId, campaignId), eq(studioLeads.state, "pending")));
  if ((pending[0]?.leads ?? 0) > 0) return;
  const failed = await db
    .select({ leads: count() })
    .from(studioLeads)
    .where(and(eq(studioLeads.campaignId, campaignId), eq(studioLeads.state, "failed")));
  await db
    .update(studioCampaigns)
    .set({ state: (failed[0]?.leads ?? 0) > 0 ? "failed" : "ready", updatedAt: now })
    .where(and(eq(studioCampaigns.id, campaignId), eq(studioCampaigns.state, "generating")));
}
