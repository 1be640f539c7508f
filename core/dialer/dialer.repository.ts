import { and, asc, count, eq, inArray, isNotNull, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { studioLines } from "../studio/studio.schema.ts";
import { dialerAgents, dialerCalls, dialerCampaigns, dialerLeads } from "./dialer.schema.ts";

export type DialerCampaign = typeof dialerCampaigns.$inferSelect;
export type DialerLead = typeof dialerLeads.$inferSelect;
export type DialerCall = typeof dialerCalls.$inferSelect;
export type DialerAgent = typeof dialerAgents.$inferSelect;
export type DialerCallState = DialerCall["state"];
export type DialerCallChanges = Partial<Omit<DialerCall, "id" | "campaignId" | "createdAt">>;

/** Rows per multi-row INSERT, below SQLite's limit on bound parameters. */
const rowsPerInsert = 500;

/**
 * Where a call stands, from the facts webhooks established in whatever order they came (the AMD
 * verdict before the answered callback, completed before the verdict, …).
 */
const callState = sql`case
  when ${dialerCalls.endedAt} is not null then 'ended'
  when ${dialerCalls.bridgedAt} is not null then 'bridged'
  when ${dialerCalls.answeredBy} = 'human' then 'human'
  when ${dialerCalls.answeredBy} like 'machine%' or ${dialerCalls.answeredBy} = 'fax' then 'machine'
  when ${dialerCalls.answeredBy} is not null then 'unknown'
  when ${dialerCalls.queuedAt} is not null then 'queued'
  when ${dialerCalls.answeredAt} is not null then 'answered'
  when ${dialerCalls.twilioStatus} = 'ringing' then 'ringing'
  when ${dialerCalls.callSid} is not null then 'placed'
  else 'placing' end`;

export function createDialerRepository(db: CoreDatabase) {
  // Every writer ends with this, so the last one computes the state from everyone's facts.
  const refreshState = async (id: string): Promise<DialerCall> => {
    const rows = await db.update(dialerCalls).set({ state: callState as never }).where(eq(dialerCalls.id, id)).returning();
    return rows[0]!;
  };
  return {
    async insertCampaign(campaign: DialerCampaign, leads: ReadonlyArray<Omit<DialerLead, "campaignId" | "state">>): Promise<boolean> {
      return await db.transaction(async (tx) => {
        const inserted = await tx.insert(dialerCampaigns).values(campaign).onConflictDoNothing().returning({ id: dialerCampaigns.id });
        if (inserted.length === 0) return false;
        for (let start = 0; start < leads.length; start += rowsPerInsert) {
          await tx.insert(dialerLeads).values(leads.slice(start, start + rowsPerInsert).map((lead) => ({ ...lead, campaignId: campaign.id })));
        }
        return true;
      });
    },

    async findCampaign(id: string): Promise<DialerCampaign | null> {
      const rows = await db.select().from(dialerCampaigns).where(eq(dialerCampaigns.id, id));
      return rows[0] ?? null;
    },

    async listCampaignIds(states: ReadonlyArray<DialerCampaign["state"]>): Promise<string[]> {
      const rows = await db.select({ id: dialerCampaigns.id }).from(dialerCampaigns).where(inArray(dialerCampaigns.state, [...states]));
      return rows.map((row) => row.id);
    },

    async updateCampaign(id: string, changes: Partial<Pick<DialerCampaign, "state" | "linesPerAgent">>, now: number): Promise<void> {
      await db.update(dialerCampaigns).set({ ...changes, updatedAt: now }).where(eq(dialerCampaigns.id, id));
    },

    async leadCounts(campaignId: string): Promise<{ total: number; pending: number }> {
      const rows = await db.select({ state: dialerLeads.state, n: count() }).from(dialerLeads).where(eq(dialerLeads.campaignId, campaignId)).groupBy(dialerLeads.state);
      const pending = rows.find((row) => row.state === "pending")?.n ?? 0;
      return { total: rows.reduce((sum, row) => sum + row.n, 0), pending };
    },

    async findLead(campaignId: string, position: number): Promise<DialerLead | null> {
      const rows = await db.select().from(dialerLeads).where(and(eq(dialerLeads.campaignId, campaignId), eq(dialerLeads.position, position)));
      return rows[0] ?? null;
    },

    /** Takes the next pending leads and records an intended call for each, in one transaction: a lead is dialled once. */
    async claimLeads(campaignId: string, limit: number, intend: (lead: DialerLead) => Omit<DialerCall, "campaignId" | "position" | "phoneNumber">): Promise<DialerCall[]> {
      if (limit <= 0) return [];
      return await db.transaction(async (tx) => {
        const leads = await tx
          .select()
          .from(dialerLeads)
          .where(and(eq(dialerLeads.campaignId, campaignId), eq(dialerLeads.state, "pending")))
          .orderBy(asc(dialerLeads.position))
          .limit(limit);
        if (leads.length === 0) return [];
        await tx
          .update(dialerLeads)
          .set({ state: "dialed" })
          .where(and(eq(dialerLeads.campaignId, campaignId), inArray(dialerLeads.position, leads.map((lead) => lead.position))));
        const calls = leads.map((lead) => ({ ...intend(lead), campaignId, position: lead.position, phoneNumber: lead.phoneNumber }));
        return await tx.insert(dialerCalls).values(calls).returning();
      });
    },

    async findCall(id: string): Promise<DialerCall | null> {
      const rows = await db.select().from(dialerCalls).where(eq(dialerCalls.id, id));
      return rows[0] ?? null;
    },

    async findCallBySid(callSid: string): Promise<DialerCall | null> {
      const rows = await db.select().from(dialerCalls).where(eq(dialerCalls.callSid, callSid));
      return rows[0] ?? null;
    },

    /** Writes facts about a call, then its state as the stored row (with every other writer's facts) implies. */
    async updateCall(id: string, changes: DialerCallChanges): Promise<DialerCall> {
      await db.update(dialerCalls).set(changes).where(eq(dialerCalls.id, id));
      return await refreshState(id);
    },

    /**
     * Writes facts only where `unset` (a column) is still null, in one statement: of two deliveries
     * of the same webhook, one wins. Null when the column was set already (or there is no such call).
     */
    async updateCallOnce(id: string, unset: "queuedAt" | "answeredBy" | "bridgedAt" | "reason" | "agentIdentity", changes: DialerCallChanges, alsoOpen = false): Promise<DialerCall | null> {
      const rows = await db
        .update(dialerCalls)
        .set(changes)
        .where(and(eq(dialerCalls.id, id), isNull(dialerCalls[unset]), alsoOpen ? and(isNull(dialerCalls.endedAt), isNull(dialerCalls.reason)) : undefined))
        .returning({ id: dialerCalls.id });
      return rows.length === 0 ? null : await refreshState(id);
    },

    /** The answer URL was fetched: queued (and answered) once; null when it was already. */
    async markQueued(id: string, now: number, callSid: string | null): Promise<DialerCall | null> {
      return await this.updateCallOnce(id, "queuedAt", { queuedAt: now, answeredAt: sql`coalesce(${dialerCalls.answeredAt}, ${now})` as never, callSid: sql`coalesce(${dialerCalls.callSid}, ${callSid})` as never, updatedAt: now });
    },

    /** The AMD verdict, kept once; null when one was kept already. */
    async recordVerdict(id: string, verdict: { answeredBy: string; source: "amd" | "timeout"; now: number; callSid: string | null }): Promise<DialerCall | null> {
      return await this.updateCallOnce(id, "answeredBy", {
        answeredBy: verdict.answeredBy,
        verdictSource: verdict.source,
        verdictAt: verdict.now,
        callSid: sql`coalesce(${dialerCalls.callSid}, ${verdict.callSid})` as never,
        updatedAt: verdict.now,
      });
    },

    /** A status callback's facts, in one statement: the status only when its SequenceNumber is newer, answered once. */
    async applyStatus(id: string, update: { status: string; sequence: number; answered: boolean; callSid: string | null; now: number }): Promise<DialerCall> {
      await db
        .update(dialerCalls)
        .set({
          twilioStatus: sql`case when ${dialerCalls.statusSequence} < ${update.sequence} then ${update.status} else ${dialerCalls.twilioStatus} end`,
          statusSequence: sql`max(${dialerCalls.statusSequence}, ${update.sequence})`,
          answeredAt: update.answered ? sql`coalesce(${dialerCalls.answeredAt}, ${update.now})` : undefined,
          callSid: sql`coalesce(${dialerCalls.callSid}, ${update.callSid})`,
          updatedAt: update.now,
        })
        .where(eq(dialerCalls.id, id));
      return await refreshState(id);
    },

    async listCalls(campaignId: string, options: { live?: boolean } = {}): Promise<DialerCall[]> {
      const live = options.live ? ne(dialerCalls.state, "ended") : undefined;
      return await db.select().from(dialerCalls).where(and(eq(dialerCalls.campaignId, campaignId), live)).orderBy(asc(dialerCalls.createdAt), asc(dialerCalls.position));
    },

    async callCounts(campaignId: string): Promise<{ byState: Record<string, number>; byReason: Record<string, number> }> {
      const rows = await db
        .select({ state: dialerCalls.state, reason: dialerCalls.reason, n: count() })
        .from(dialerCalls)
        .where(eq(dialerCalls.campaignId, campaignId))
        .groupBy(dialerCalls.state, dialerCalls.reason);
      const byState: Record<string, number> = {};
      const byReason: Record<string, number> = {};
      for (const row of rows) {
        byState[row.state] = (byState[row.state] ?? 0) + row.n;
        if (row.reason) byReason[row.reason] = (byReason[row.reason] ?? 0) + row.n;
      }
      return { byState, byReason };
    },

    /** Answered humans the campaign owed an agent (bridged or abandoned), and how many of them reached none. */
    async abandonFigures(campaignId: string): Promise<{ humans: number; abandoned: number }> {
      const [row] = await db
        .select({
          humans: sql<number>`coalesce(sum(case when ${dialerCalls.bridgedAt} is not null or ${dialerCalls.reason} = 'abandoned' then 1 else 0 end), 0)`,
          abandoned: sql<number>`coalesce(sum(case when ${dialerCalls.reason} = 'abandoned' then 1 else 0 end), 0)`,
        })
        .from(dialerCalls)
        .where(eq(dialerCalls.campaignId, campaignId));
      return { humans: Number(row?.humans ?? 0), abandoned: Number(row?.abandoned ?? 0) };
    },

    /** Answered calls still without an AMD verdict since before `answeredBefore`. */
    async callsAwaitingVerdict(answeredBefore: number): Promise<DialerCall[]> {
      return await db
        .select()
        .from(dialerCalls)
        .where(and(ne(dialerCalls.state, "ended"), isNull(dialerCalls.answeredBy), isNotNull(dialerCalls.answeredAt), lt(dialerCalls.answeredAt, answeredBefore)));
    },

    /** Humans (and unknowns being connected) waiting for an agent, longest first. */
    async waitingCalls(campaignId?: string): Promise<DialerCall[]> {
      return await db
        .select()
        .from(dialerCalls)
        .where(and(campaignId ? eq(dialerCalls.campaignId, campaignId) : undefined, inArray(dialerCalls.state, ["human", "unknown"]), isNull(dialerCalls.agentIdentity), isNull(dialerCalls.reason)))
        .orderBy(asc(dialerCalls.verdictAt));
    },

    /** Calls whose decided end (hang-up, apology, voicemail) did not reach Twilio, and which are still live. */
    async undeliveredEnds(changedBefore: number): Promise<DialerCall[]> {
      return await db
        .select()
        .from(dialerCalls)
        .where(and(ne(dialerCalls.state, "ended"), isNotNull(dialerCalls.reason), isNotNull(dialerCalls.lastError), isNotNull(dialerCalls.callSid), lt(dialerCalls.updatedAt, changedBefore)));
    },

    /** Calls recorded but not known to Twilio since before `createdBefore` (the process placing them stopped). */
    async strandedPlacements(createdBefore: number): Promise<DialerCall[]> {
      return await db.select().from(dialerCalls).where(and(eq(dialerCalls.state, "placing"), lt(dialerCalls.createdAt, createdBefore)));
    },

    async inFlightCount(campaignId: string): Promise<number> {
      const [row] = await db
        .select({ n: count() })
        .from(dialerCalls)
        .where(and(eq(dialerCalls.campaignId, campaignId), ne(dialerCalls.state, "ended"), isNull(dialerCalls.bridgedAt), isNull(dialerCalls.agentIdentity)));
      return row?.n ?? 0;
    },

    async upsertAgent(campaignId: string, identity: string, now: number): Promise<void> {
      await db
        .insert(dialerAgents)
        .values({ campaignId, identity, state: "available", callId: null, updatedAt: now })
        .onConflictDoUpdate({ target: [dialerAgents.campaignId, dialerAgents.identity], set: { state: sql`case when ${dialerAgents.callId} is null then 'available' else 'busy' end`, updatedAt: now } });
    },

    async listAgents(campaignId: string): Promise<DialerAgent[]> {
      return await db.select().from(dialerAgents).where(eq(dialerAgents.campaignId, campaignId)).orderBy(asc(dialerAgents.identity));
    },

    async availableAgents(campaignId: string): Promise<DialerAgent[]> {
      return await db
        .select()
        .from(dialerAgents)
        .where(and(eq(dialerAgents.campaignId, campaignId), eq(dialerAgents.state, "available")))
        .orderBy(asc(dialerAgents.updatedAt));
    },

    async updateAgent(campaignId: string, identity: string, changes: Partial<Pick<DialerAgent, "state" | "callId">>, now: number): Promise<void> {
      await db.update(dialerAgents).set({ ...changes, updatedAt: now }).where(and(eq(dialerAgents.campaignId, campaignId), eq(dialerAgents.identity, identity)));
    },

    /** The agent's browser leg ended: away in every campaign (a customer still bridged keeps the row until the call ends). */
    async markAgentAway(identity: string, now: number): Promise<string[]> {
      const rows = await db.update(dialerAgents).set({ state: "away", updatedAt: now }).where(eq(dialerAgents.identity, identity)).returning({ campaignId: dialerAgents.campaignId });
      return rows.map((row) => row.campaignId);
    },

    async releaseAgentOf(campaignId: string, callId: string, now: number): Promise<string | null> {
      const rows = await db
        .update(dialerAgents)
        .set({ callId: null, state: sql`case when ${dialerAgents.state} = 'away' then 'away' else 'available' end`, updatedAt: now })
        .where(and(eq(dialerAgents.campaignId, campaignId), eq(dialerAgents.callId, callId)))
        .returning({ identity: dialerAgents.identity });
      return rows[0]?.identity ?? null;
    },

    /** The studio's `voicemail` line of a lead, when it was spoken. */
    async voicemailClipOf(studioCampaignId: string, leadId: number): Promise<string | null> {
      const rows = await db
        .select({ clipKey: studioLines.clipKey })
        .from(studioLines)
        .where(and(eq(studioLines.campaignId, studioCampaignId), eq(studioLines.leadId, leadId), eq(studioLines.slot, "voicemail"), or(isNotNull(studioLines.clipKey))));
      return rows[0]?.clipKey ?? null;
    },
  };
}

export type DialerRepository = ReturnType<typeof createDialerRepository>;
