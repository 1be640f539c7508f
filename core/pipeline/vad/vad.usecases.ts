import type { VadJobResult } from "../../../shared/contracts/vad-jobs.ts";
import { notFound } from "../../../shared/http/app-error.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import { createIngestRepository } from "../../ingest/ingest.repository.ts";
import { type DialogueChanges, type DialogueDeps, rebuildDialogues } from "../dialogues/dialogues.usecases.ts";
import { createVadRepository } from "./vad.repository.ts";

export interface VadDeps extends DialogueDeps {
  db: CoreDatabase;
}

export interface VadOutcome {
  segments: number;
  speechMs: number;
  /** False when the chunk already had exactly these segments (a re-run). */
  segmentsChanged: boolean;
  dialogues: DialogueChanges;
}

/**
 * Stores the speech found in a chunk and folds it into its register's dialogues, in one
 * transaction. Applying the same result again writes nothing.
 */
export async function applyVadResult(deps: VadDeps, chunkId: string, result: VadJobResult): Promise<VadOutcome> {
  return deps.db.transaction(async (tx) => {
    const speech = createVadRepository(tx);
    const chunk = await createIngestRepository(tx).findChunk(chunkId);
    if (!chunk) throw notFound("vad.chunk_not_found", `no chunk ${chunkId}`);
    const previous = await speech.findChunkSegments(chunkId);
    const wanted = result.segments.map((segment) => ({ offsetStartMs: segment.start_ms, offsetEndMs: segment.end_ms }));
    const segmentsChanged =
      previous.length !== wanted.length ||
      previous.some((segment, index) => segment.offsetStartMs !== wanted[index]!.offsetStartMs || segment.offsetEndMs !== wanted[index]!.offsetEndMs);
    if (segmentsChanged) await speech.replaceChunkSegments(chunk, wanted);
    const speechMs = wanted.reduce((total, segment) => total + segment.offsetEndMs - segment.offsetStartMs, 0);
    if (segmentsChanged || chunk.vadStatus !== "done" || chunk.audioMs !== result.audio_ms) {
      await speech.markChunkVadDone(chunkId, { audioMs: result.audio_ms, speechMs, at: deps.clock.now() });
    }
    // The chunk's own span, and wherever its old or new speech reached past the declared end.
    const reach = Math.max(chunk.endTs, chunk.startTs + result.audio_ms, chunk.startTs + (chunk.audioMs ?? 0), ...previous.map((segment) => segment.endTs));
    const dialogues = await rebuildDialogues(tx, deps, { pointId: chunk.pointId, registerId: chunk.registerId }, chunk.startTs, reach);
    return { segments: wanted.length, speechMs, segmentsChanged, dialogues };
  });
}

/** A chunk whose VAD job went dead: visible on the chunk, with the reason. */
export async function recordVadFailure(deps: VadDeps, chunkId: string, error: string): Promise<void> {
  await createVadRepository(deps.db).markChunkVadFailed(chunkId, error, deps.clock.now());
}
