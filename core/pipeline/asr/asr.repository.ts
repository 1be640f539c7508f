import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { CoreDatabase } from "../../db/core-database.ts";
import { type AnalysisStatus, type AsrStatus, type DialogueRow, dialogues } from "../dialogues/dialogues.schema.ts";
import { type DialogueTranscriptRow, dialogueTranscripts } from "./asr.schema.ts";

export function createAsrRepository(db: CoreDatabase) {
  /** Closed dialogues whose current revision has no transcript or job yet, oldest first. */
  async function findDialoguesToTranscribe(limit: number): Promise<Array<Pick<DialogueRow, "dialogueId" | "revision">>> {
    return db
      .select({ dialogueId: dialogues.dialogueId, revision: dialogues.revision })
      .from(dialogues)
      .where(and(eq(dialogues.asrStatus, "PENDING"), eq(dialogues.status, "closed")))
      .orderBy(asc(dialogues.endTs))
      .limit(limit);
  }

  /** Sets the transcription state of one revision; a dialogue that moved on to another revision is left alone. */
  async function setAsrStatus(dialogueId: string, revision: number, status: AsrStatus, error: string | null = null): Promise<boolean> {
    const updated = await db
      .update(dialogues)
      .set({ asrStatus: status, asrError: error })
      .where(and(eq(dialogues.dialogueId, dialogueId), eq(dialogues.revision, revision)))
      .returning({ dialogueId: dialogues.dialogueId });
    return updated.length === 1;
  }

  async function markTranscribed(dialogueId: string, outcome: { asrPass: number; analysisStatus: AnalysisStatus }): Promise<void> {
    await db
      .update(dialogues)
      .set({ asrStatus: "DONE", asrError: null, asrPass: outcome.asrPass, analysisStatus: outcome.analysisStatus, analysisError: null })
      .where(eq(dialogues.dialogueId, dialogueId));
  }

  async function insertTranscript(row: typeof dialogueTranscripts.$inferInsert): Promise<number> {
    const inserted = await db.insert(dialogueTranscripts).values(row).returning({ id: dialogueTranscripts.id });
    return inserted[0]!.id;
  }

  async function findTranscript(transcriptId: number): Promise<DialogueTranscriptRow | null> {
    const rows = await db.select().from(dialogueTranscripts).where(eq(dialogueTranscripts.id, transcriptId)).limit(1);
    return rows[0] ?? null;
  }

  async function findTranscriptOfRevision(dialogueId: string, revision: number): Promise<DialogueTranscriptRow | null> {
    const rows = await db
      .select()
      .from(dialogueTranscripts)
      .where(and(eq(dialogueTranscripts.dialogueId, dialogueId), eq(dialogueTranscripts.revision, revision)))
      .limit(1);
    return rows[0] ?? null;
  }

  async function findLatestTranscript(dialogueId: string): Promise<DialogueTranscriptRow | null> {
    const rows = await db.select().from(dialogueTranscripts).where(eq(dialogueTranscripts.dialogueId, dialogueId)).orderBy(desc(dialogueTranscripts.pass)).limit(1);
    return rows[0] ?? null;
  }

  /** Dialogues per transcription and analysis state, for the pipeline overview. */
  async function countDialoguesByStage(): Promise<Array<{ asrStatus: AsrStatus; analysisStatus: AnalysisStatus; count: number }>> {
    const rows = await db
      .select({ asrStatus: dialogues.asrStatus, analysisStatus: dialogues.analysisStatus, count: sql<number>`count(*)` })
      .from(dialogues)
      .where(eq(dialogues.status, "closed"))
      .groupBy(dialogues.asrStatus, dialogues.analysisStatus);
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }

  return { countDialoguesByStage, findDialoguesToTranscribe, setAsrStatus, markTranscribed, insertTranscript, findTranscript, findTranscriptOfRevision, findLatestTranscript };
}

export type AsrRepository = ReturnType<typeof createAsrRepository>;
