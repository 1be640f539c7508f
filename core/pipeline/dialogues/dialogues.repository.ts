import { and, asc, desc, eq, gte, inArray, lte, type SQL } from "drizzle-orm";
import { maxChunkDurationSeconds } from "../../../shared/contracts/chunk-upload.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import { type SpeechSegmentRow, speechSegments } from "../vad/vad.schema.ts";
import { type DialogueRow, type DialogueSegmentRow, dialogueSegments, dialogues } from "./dialogues.schema.ts";

export interface Stream {
  pointId: string;
  registerId: string;
}

/** A segment never lasts longer than a chunk, which bounds how far back an overlap query looks. */
const longestSegmentMs = maxChunkDurationSeconds * 1000 + 100_000;

export function createDialoguesRepository(db: CoreDatabase) {
  async function findDialoguesOverlapping(stream: Stream, fromTs: number, toTs: number, maxDialogueMs: number): Promise<DialogueRow[]> {
    return db
      .select()
      .from(dialogues)
      .where(
        and(
          eq(dialogues.pointId, stream.pointId),
          eq(dialogues.registerId, stream.registerId),
          lte(dialogues.startTs, toTs),
          gte(dialogues.startTs, fromTs - maxDialogueMs - longestSegmentMs),
          gte(dialogues.endTs, fromTs),
        ),
      );
  }

  async function findSegmentsOverlapping(stream: Stream, fromTs: number, toTs: number): Promise<SpeechSegmentRow[]> {
    return db
      .select()
      .from(speechSegments)
      .where(
        and(
          eq(speechSegments.pointId, stream.pointId),
          eq(speechSegments.registerId, stream.registerId),
          lte(speechSegments.startTs, toTs),
          gte(speechSegments.startTs, fromTs - longestSegmentMs),
          gte(speechSegments.endTs, fromTs),
        ),
      );
  }

  /** dialogue id → ids of its speech segments. */
  async function findDialogueMembers(dialogueIds: readonly string[]): Promise<Map<string, number[]>> {
    const members = new Map<string, number[]>(dialogueIds.map((id) => [id, []]));
    if (dialogueIds.length === 0) return members;
    const rows = await db
      .select({ dialogueId: dialogueSegments.dialogueId, segmentId: dialogueSegments.speechSegmentId })
      .from(dialogueSegments)
      .where(inArray(dialogueSegments.dialogueId, [...dialogueIds]));
    for (const row of rows) members.get(row.dialogueId)?.push(row.segmentId);
    return members;
  }

  /** speech segment id → the dialogue it belongs to. */
  async function findDialogueIdsOfSegments(segmentIds: readonly number[]): Promise<Map<number, string>> {
    if (segmentIds.length === 0) return new Map();
    const rows = await db
      .select({ segmentId: dialogueSegments.speechSegmentId, dialogueId: dialogueSegments.dialogueId })
      .from(dialogueSegments)
      .where(inArray(dialogueSegments.speechSegmentId, [...segmentIds]));
    return new Map(rows.map((row) => [row.segmentId, row.dialogueId]));
  }

  async function deleteDialogueMembers(dialogueIds: readonly string[]): Promise<void> {
    if (dialogueIds.length > 0) await db.delete(dialogueSegments).where(inArray(dialogueSegments.dialogueId, [...dialogueIds]));
  }

  async function deleteDialogues(dialogueIds: readonly string[]): Promise<void> {
    if (dialogueIds.length > 0) await db.delete(dialogues).where(inArray(dialogues.dialogueId, [...dialogueIds]));
  }

  async function insertDialogue(row: typeof dialogues.$inferInsert): Promise<void> {
    await db.insert(dialogues).values(row);
  }

  async function updateDialogue(dialogueId: string, changes: Partial<typeof dialogues.$inferInsert>): Promise<void> {
    await db.update(dialogues).set(changes).where(eq(dialogues.dialogueId, dialogueId));
  }

  async function insertDialogueMembers(dialogueId: string, segments: readonly SpeechSegmentRow[]): Promise<void> {
    if (segments.length === 0) return;
    await db.insert(dialogueSegments).values(
      segments.map((segment) => ({
        speechSegmentId: segment.id,
        dialogueId,
        chunkId: segment.chunkId,
        startTs: segment.startTs,
        endTs: segment.endTs,
        offsetStartMs: segment.offsetStartMs,
        offsetEndMs: segment.offsetEndMs,
      })),
    );
  }

  /** Closes open dialogues that ended before `endedBefore`; returns how many. */
  async function closeDialoguesEndedBefore(endedBefore: number, now: number): Promise<number> {
    const closed = await db
      .update(dialogues)
      .set({ status: "closed", closeReason: "timeout", closedAt: now, updatedAt: now })
      .where(and(eq(dialogues.status, "open"), lte(dialogues.endTs, endedBefore)))
      .returning({ dialogueId: dialogues.dialogueId });
    return closed.length;
  }

  async function listDialogues(filter: DialogueFilter): Promise<DialogueRow[]> {
    const conditions: SQL[] = [];
    if (filter.pointId) conditions.push(eq(dialogues.pointId, filter.pointId));
    if (filter.registerId) conditions.push(eq(dialogues.registerId, filter.registerId));
    if (filter.status) conditions.push(eq(dialogues.status, filter.status));
    if (filter.fromTs !== undefined) conditions.push(gte(dialogues.endTs, filter.fromTs));
    if (filter.toTs !== undefined) conditions.push(lte(dialogues.startTs, filter.toTs));
    return db
      .select()
      .from(dialogues)
      .where(and(...conditions))
      .orderBy(desc(dialogues.startTs))
      .limit(filter.limit);
  }

  async function findDialogue(dialogueId: string): Promise<DialogueRow | null> {
    const rows = await db.select().from(dialogues).where(eq(dialogues.dialogueId, dialogueId)).limit(1);
    return rows[0] ?? null;
  }

  async function findDialogueSegments(dialogueId: string): Promise<DialogueSegmentRow[]> {
    return db.select().from(dialogueSegments).where(eq(dialogueSegments.dialogueId, dialogueId)).orderBy(asc(dialogueSegments.startTs));
  }

  return { findDialoguesOverlapping, findSegmentsOverlapping, findDialogueMembers, findDialogueIdsOfSegments, deleteDialogueMembers, deleteDialogues, insertDialogue, updateDialogue, insertDialogueMembers, closeDialoguesEndedBefore, listDialogues, findDialogue, findDialogueSegments };
}

export type DialoguesRepository = ReturnType<typeof createDialoguesRepository>;

export interface DialogueFilter {
  pointId?: string;
  registerId?: string;
  status?: "open" | "closed";
  fromTs?: number;
  toTs?: number;
  limit: number;
}
