import { and, asc, desc, eq } from "drizzle-orm";
import type { CoreDatabase } from "../../db/core-database.ts";
import { type AnalysisStatus, dialogues } from "../dialogues/dialogues.schema.ts";
import { type DialogueAnalysisRow, dialogueAnalyses, type UpsellOfferRow, upsellOffers } from "./analysis.schema.ts";

export function createAnalysisRepository(db: CoreDatabase) {
  async function insertAnalysis(
    row: typeof dialogueAnalyses.$inferInsert,
    offers: ReadonlyArray<Omit<typeof upsellOffers.$inferInsert, "analysisId" | "position">>,
  ): Promise<number> {
    const inserted = await db.insert(dialogueAnalyses).values(row).returning({ id: dialogueAnalyses.id });
    const analysisId = inserted[0]!.id;
    if (offers.length > 0) await db.insert(upsellOffers).values(offers.map((offer, position) => ({ ...offer, analysisId, position })));
    return analysisId;
  }

  async function findLatestAnalysis(dialogueId: string): Promise<{ analysis: DialogueAnalysisRow; offers: UpsellOfferRow[] } | null> {
    const rows = await db.select().from(dialogueAnalyses).where(eq(dialogueAnalyses.dialogueId, dialogueId)).orderBy(desc(dialogueAnalyses.pass)).limit(1);
    const analysis = rows[0];
    if (!analysis) return null;
    const offers = await db.select().from(upsellOffers).where(eq(upsellOffers.analysisId, analysis.id)).orderBy(asc(upsellOffers.position));
    return { analysis, offers };
  }

  /** Sets the analysis state; with `revision`, only while the dialogue is still at that revision. */
  async function setAnalysisStatus(dialogueId: string, status: AnalysisStatus, options: { error?: string | null; pass?: number; revision?: number } = {}): Promise<void> {
    const condition = options.revision === undefined ? eq(dialogues.dialogueId, dialogueId) : and(eq(dialogues.dialogueId, dialogueId), eq(dialogues.revision, options.revision));
    await db
      .update(dialogues)
      .set({ analysisStatus: status, analysisError: options.error ?? null, ...(options.pass === undefined ? {} : { analysisPass: options.pass }) })
      .where(condition);
  }

  return { insertAnalysis, findLatestAnalysis, setAnalysisStatus };
}

export type AnalysisRepository = ReturnType<typeof createAnalysisRepository>;
