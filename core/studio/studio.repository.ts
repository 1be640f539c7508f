import { and, asc, between, count, countDistinct, desc, eq, gt, isNotNull } from "drizzle-orm";
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
  source: "template" | "rephrased" | "edited";
  clipKey: string | null;
}

/** Slot → words written for one lead alone. */
export type LeadTexts = Record<string, string>;

/** A lead as the review shows it: its fields, where its generation stands and its lines. */
export interface StudioLeadReview {
  lead: StudioLead;
  state: (typeof studioLeads.$inferSelect)["state"];
  failure: string | null;
  texts: LeadTexts;
  lines: StudioLineRecord[];
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

function textsOf(row: typeof studioLeads.$inferSelect): LeadTexts {
  return row.textsJson ? (JSON.parse(row.textsJson) as LeadTexts) : {};
}

function leadOf(row: typeof studioLeads.$inferSelect): StudioLead {
  return { leadId: row.leadId, rowNumber: row.rowNumber, phoneNumber: row.phoneNumber, vendorLeadCode: row.vendorLeadCode, fields: JSON.parse(row.fieldsJson) as Record<string, string> };
}

function lineOf(row: typeof studioLines.$inferSelect): StudioLineRecord {
  return { slot: row.slot, text: row.text, source: row.source, clipKey: row.clipKey };
}

export function createStudioRepository(db: CoreDatabase) {
  /** Lead rows in lead_id order after `afterLeadId`, at most `limit`. */
  const leadRowsAfter = (campaignId: string, afterLeadId: number, limit: number) =>
    db
      .select()
      .from(studioLeads)
      .where(and(eq(studioLeads.campaignId, campaignId), gt(studioLeads.leadId, afterLeadId)))
      .orderBy(asc(studioLeads.leadId))
      .limit(limit);

  async function linesOf(campaignId: string, leadIds: readonly number[]): Promise<Map<number, StudioLineRecord[]>> {
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
      lines.push(lineOf(row));
      byLead.set(row.leadId, lines);
    }
    return byLead;
  }

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

    /** Every campaign, the latest changed first, with its number of leads. */
    async listCampaigns(limit: number): Promise<Array<{ campaign: StudioCampaign; leads: number }>> {
      const rows = await db.select().from(studioCampaigns).orderBy(desc(studioCampaigns.updatedAt), asc(studioCampaigns.id)).limit(limit);
      const counts = await db.select({ campaignId: studioLeads.campaignId, leads: count() }).from(studioLeads).groupBy(studioLeads.campaignId);
      const leadsOf = new Map(counts.map((row) => [row.campaignId, row.leads]));
      return rows.map((row) => ({ campaign: campaignOf(row), leads: leadsOf.get(row.id) ?? 0 }));
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
        // Words written for one lead belonged to the old script's slots.
        await tx.update(studioLeads).set({ state: "pending", failure: null, textsJson: null }).where(eq(studioLeads.campaignId, campaignId));
        await tx.update(studioCampaigns).set({ scriptJson: JSON.stringify(script), rephrase: settings.rephrase, ulaw: settings.ulaw, state: "draft", updatedAt: now }).where(eq(studioCampaigns.id, campaignId));
      });
    },

    /** Every lead back to pending and the campaign to `generating`; `enqueue` runs in the same transaction per lead. */
    async startGeneration(campaignId: string, now: number, enqueue: (tx: CoreDatabase, lead: StudioLead, texts: LeadTexts) => Promise<void>): Promise<number> {
      return db.transaction(async (tx) => {
        const transaction = tx as unknown as CoreDatabase;
        await tx.delete(studioLines).where(eq(studioLines.campaignId, campaignId));
        await tx.update(studioLeads).set({ state: "pending", failure: null }).where(eq(studioLeads.campaignId, campaignId));
        await tx.update(studioCampaigns).set({ state: "generating", updatedAt: now }).where(eq(studioCampaigns.id, campaignId));
        const leads = await tx.select().from(studioLeads).where(eq(studioLeads.campaignId, campaignId)).orderBy(asc(studioLeads.leadId));
        for (const lead of leads) await enqueue(transaction, leadOf(lead), textsOf(lead));
        return leads.length;
      });
    },

    /**
     * One lead generated again, with `texts` as its written words when given: its lines go, it is
     * pending and the campaign `generating` until its job settles; `enqueue` runs in the same transaction.
     */
    async regenerateLead(campaignId: string, leadId: number, texts: LeadTexts | null, now: number, enqueue: (tx: CoreDatabase, lead: StudioLead, texts: LeadTexts) => Promise<void>): Promise<void> {
      await db.transaction(async (tx) => {
        const where = and(eq(studioLeads.campaignId, campaignId), eq(studioLeads.leadId, leadId));
        await tx.delete(studioLines).where(and(eq(studioLines.campaignId, campaignId), eq(studioLines.leadId, leadId)));
        await tx.update(studioLeads).set({ state: "pending", failure: null, ...(texts ? { textsJson: Object.keys(texts).length > 0 ? JSON.stringify(texts) : null } : {}) }).where(where);
        await tx.update(studioCampaigns).set({ state: "generating", updatedAt: now }).where(eq(studioCampaigns.id, campaignId));
        const [row] = await tx.select().from(studioLeads).where(where);
        if (row) await enqueue(tx as unknown as CoreDatabase, leadOf(row), textsOf(row));
      });
    },

    /** Leads in lead_id order after `afterLeadId`, with their state and lines, for the review. */
    async reviewPage(campaignId: string, afterLeadId: number, limit: number): Promise<StudioLeadReview[]> {
      const rows = await leadRowsAfter(campaignId, afterLeadId, limit);
      const lines = await linesOf(
        campaignId,
        rows.map((row) => row.leadId),
      );
      return rows.map((row) => ({ lead: leadOf(row), state: row.state, failure: row.failure, texts: textsOf(row), lines: lines.get(row.leadId) ?? [] }));
    },

    async findLine(campaignId: string, leadId: number, slot: string): Promise<StudioLineRecord | null> {
      const rows = await db
        .select()
        .from(studioLines)
        .where(and(eq(studioLines.campaignId, campaignId), eq(studioLines.leadId, leadId), eq(studioLines.slot, slot)));
      return rows[0] ? lineOf(rows[0]) : null;
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
      return (await leadRowsAfter(campaignId, afterLeadId, limit)).map(leadOf);
    },

    linesOf,

    /** The campaign's distinct clip keys in order after `afterKey`, at most `limit`. */
    async clipKeysPage(campaignId: string, afterKey: string, limit: number): Promise<string[]> {
      const rows = await db
        .selectDistinct({ clipKey: studioLines.clipKey })
        .from(studioLines)
        .where(and(eq(studioLines.campaignId, campaignId), gt(studioLines.clipKey, afterKey)))
        .orderBy(asc(studioLines.clipKey))
        .limit(limit);
      return rows.map((row) => row.clipKey!);
    },

    /** The distinct clips a campaign's lines are spoken with: each is one file (two with µ-law) in its package. */
    async distinctClipCount(campaignId: string): Promise<number> {
      const rows = await db
        .select({ clips: countDistinct(studioLines.clipKey) })
        .from(studioLines)
        .where(and(eq(studioLines.campaignId, campaignId), isNotNull(studioLines.clipKey)));
      return rows[0]?.clips ?? 0;
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
