import { asc, desc, eq } from "drizzle-orm";
import type { CoreDatabase } from "../../db/core-database.ts";
import { type DialogueAnalysisRow, dialogueAnalyses, type UpsellOfferRow, upsellOffers } from "./analysis.schema.ts";

export async function insertAnalysis(
  db: CoreDatabase,
  row: typeof dialogueAnalyses.$inferInsert,
  offers: ReadonlyArray<Omit<typeof upsellOffers.$inferInsert, "analysisId" | "position">>,
): Promise<number> {
  const inserted = await db.insert(dialogueAnalyses).values(row).returning({ id: dialogueAnalyses.id });
  const analysisId = inserted[0]!.id;
  if (offers.length > 0) await db.insert(upsellOffers).values(offers.map((offer, position) => ({ ...offer, analysisId, position })));
  return analysisId;
}

export async function findLatestAnalysis(db: CoreDatabase, dialogueId: string): Promise<{ analysis: DialogueAnalysisRow; offers: UpsellOfferRow[] } | null> {
  const rows = await db.select().from(dialogueAnalyses).where(eq(dialogueAnalyses.dialogueId, dialogueId)).orderBy(desc(dialogueAnalyses.pass)).limit(1);
  const analysis = rows[0];
  if (!analysis) return null;
  const offers = await db.select().from(upsellOffers).where(eq(upsellOffers.analysisId, analysis.id)).orderBy(asc(upsellOffers.position));
  return { analysis, offers };
}
