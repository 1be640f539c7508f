import type { AsrJobPayload, AsrJobResult } from "../../../shared/contracts/asr-jobs.ts";
import { notFound } from "../../../shared/http/app-error.ts";
import type { Logger } from "../../../shared/log/logger.ts";
import type { Clock } from "../../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import { createDialoguesRepository } from "../dialogues/dialogues.repository.ts";
import type { DialogueRow, DialogueSegmentRow } from "../dialogues/dialogues.schema.ts";
import { enqueueAnalysisJob } from "../analysis/analysis-queue.ts";
import { createAsrJobQueue, enqueueAsrJob } from "./asr-queue.ts";
import { createAsrRepository } from "./asr.repository.ts";

export interface AsrDeps {
  db: CoreDatabase;
  clock: Clock;
  logger: Logger;
}

/** What applying a worker's result came to; only "stored" wrote anything. */
export type ApplyOutcome = "stored" | "stale" | "gone" | "duplicate";

export function asrPayloadOf(dialogue: DialogueRow, segments: readonly DialogueSegmentRow[]): AsrJobPayload {
  return {
    dialogue_id: dialogue.dialogueId,
    revision: dialogue.revision,
    start_ts: dialogue.startTs,
    segments: segments.map((segment) => ({ chunk_id: segment.chunkId, start_ts: segment.startTs, offset_start_ms: segment.offsetStartMs, offset_end_ms: segment.offsetEndMs })),
  };
}

/**
 * Queues a transcription job for each closed dialogue whose current revision has none, with the
 * segments of that revision, and marks it QUEUED in the same transaction.
 */
export async function scheduleTranscriptions(deps: AsrDeps, limit = 100): Promise<number> {
  let queued = 0;
  for (const candidate of await createAsrRepository(deps.db).findDialoguesToTranscribe(limit)) {
    await deps.db.transaction(async (tx) => {
      const transcripts = createAsrRepository(tx);
      const dialogue = await createDialoguesRepository(tx).findDialogue(candidate.dialogueId);
      if (!dialogue || dialogue.status !== "closed" || dialogue.asrStatus !== "PENDING") return;
      const segments = await createDialoguesRepository(tx).findDialogueSegments(dialogue.dialogueId);
      if (segments.length === 0) {
        await transcripts.setAsrStatus(dialogue.dialogueId, dialogue.revision, "FAILED", "the dialogue has no speech segments left (their chunks were deleted)");
        return;
      }
      const job = await enqueueAsrJob(tx, deps.clock, asrPayloadOf(dialogue, segments));
      const existing = job.created ? null : await createAsrJobQueue(tx, deps.clock).get(job.id);
      if (existing?.state === "dead") {
        await transcripts.setAsrStatus(dialogue.dialogueId, dialogue.revision, "FAILED", existing.lastError);
        return;
      }
      await transcripts.setAsrStatus(dialogue.dialogueId, dialogue.revision, "QUEUED");
      queued++;
    });
  }
  return queued;
}

/**
 * Stores a transcript for the revision it describes and queues its analysis, in one transaction.
 * A result for a revision the dialogue has left, for a dialogue merged away, or for a revision
 * already transcribed changes nothing: no dialogue is transcribed twice.
 */
export async function applyTranscription(deps: AsrDeps, payload: AsrJobPayload, result: AsrJobResult): Promise<ApplyOutcome> {
  return deps.db.transaction(async (tx) => {
    const transcripts = createAsrRepository(tx);
    const dialogue = await createDialoguesRepository(tx).findDialogue(payload.dialogue_id);
    if (!dialogue) return "gone";
    if (dialogue.revision !== payload.revision) return "stale";
    if (await transcripts.findTranscriptOfRevision(dialogue.dialogueId, dialogue.revision)) return "duplicate";
    const text = result.text.trim();
    const transcriptId = await transcripts.insertTranscript({
      dialogueId: dialogue.dialogueId,
      revision: dialogue.revision,
      pass: dialogue.asrPass + 1,
      text,
      segments: result.segments ? JSON.stringify(result.segments) : null,
      language: result.language,
      model: result.model,
      audioMs: result.audio_ms,
      providerMs: result.provider_ms,
      worker: result.worker,
      createdAt: deps.clock.now(),
    });
    // Nothing was said (noise the VAD took for speech): there is nothing to analyse.
    if (text !== "") {
      await enqueueAnalysisJob(tx, deps.clock, {
        dialogue_id: dialogue.dialogueId,
        transcript_id: transcriptId,
        revision: dialogue.revision,
        pass: dialogue.analysisPass + 1,
        text,
        language: result.language,
      });
    }
    await transcripts.markTranscribed(dialogue.dialogueId, { asrPass: dialogue.asrPass + 1, analysisStatus: text === "" ? "SKIPPED" : "QUEUED" });
    return "stored";
  });
}

/** A transcription job that went dead: visible on the dialogue with the reason, unless the dialogue moved on. */
export async function recordTranscriptionFailure(deps: AsrDeps, payload: AsrJobPayload, error: string): Promise<void> {
  if (await createAsrRepository(deps.db).setAsrStatus(payload.dialogue_id, payload.revision, "FAILED", error)) {
    deps.logger.warn("transcription gave up on a dialogue", { dialogueId: payload.dialogue_id, revision: payload.revision, error });
  }
}

/** Whether a job still describes the dialogue's current revision (checked before spending provider time). */
export async function isCurrentRevision(db: CoreDatabase, payload: Pick<AsrJobPayload, "dialogue_id" | "revision">): Promise<boolean> {
  const dialogue = await createDialoguesRepository(db).findDialogue(payload.dialogue_id);
  return dialogue !== null && dialogue.revision === payload.revision;
}

/** The dialogue's latest transcript (of its current revision once that one is transcribed). */
export async function getCurrentTranscript(deps: { db: CoreDatabase }, dialogueId: string) {
  const dialogue = await createDialoguesRepository(deps.db).findDialogue(dialogueId);
  if (!dialogue) throw notFound("dialogues.not_found", `no dialogue ${dialogueId}`);
  const transcript = await createAsrRepository(deps.db).findLatestTranscript(dialogueId);
  if (!transcript) throw notFound("transcripts.not_found", `dialogue ${dialogueId} has no transcript yet (asr_status ${dialogue.asrStatus})`);
  return { dialogue, transcript };
}
