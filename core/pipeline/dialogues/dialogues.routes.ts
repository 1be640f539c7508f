import { z } from "zod";
import { chunkTimestamp } from "../../../shared/contracts/chunk-upload.ts";
import { uuidString } from "../../../shared/contracts/identifiers.ts";
import type { HttpApp } from "../../../shared/http/create-http-app.ts";
import { isoTime } from "../../../shared/http/iso-time.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import type { DialogueRow } from "./dialogues.schema.ts";
import { getDialogueWithSegments, listDialogueRows } from "./dialogues.usecases.ts";

const listQuery = z.object({
  point_id: uuidString.optional(),
  register_id: uuidString.optional(),
  status: z.enum(["open", "closed"]).optional(),
  from: chunkTimestamp.optional(),
  to: chunkTimestamp.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Admin reading of dialogues (behind the admin token on /api/v1/admin/*). */
export function registerDialogueRoutes(app: HttpApp, deps: { db: CoreDatabase }): void {
  app.get("/api/v1/admin/dialogues", async (c) => {
    const query = listQuery.parse(c.req.query());
    const rows = await listDialogueRows(deps, {
      pointId: query.point_id,
      registerId: query.register_id,
      status: query.status,
      fromTs: query.from,
      toTs: query.to,
      limit: query.limit,
    });
    return c.json({ dialogues: rows.map(presentDialogue) });
  });

  app.get("/api/v1/admin/dialogues/:dialogue_id", async (c) => {
    const { dialogue_id } = z.object({ dialogue_id: uuidString }).parse(c.req.param());
    const { dialogue, segments } = await getDialogueWithSegments(deps, dialogue_id);
    return c.json({
      ...presentDialogue(dialogue),
      segments: segments.map((segment) => ({
        chunk_id: segment.chunkId,
        start_ts: isoTime(segment.startTs),
        end_ts: isoTime(segment.endTs),
        offset_start_ms: segment.offsetStartMs,
        offset_end_ms: segment.offsetEndMs,
      })),
    });
  });
}

function presentDialogue(dialogue: DialogueRow) {
  return {
    dialogue_id: dialogue.dialogueId,
    point_id: dialogue.pointId,
    register_id: dialogue.registerId,
    start_ts: isoTime(dialogue.startTs),
    end_ts: isoTime(dialogue.endTs),
    segment_count: dialogue.segmentCount,
    speech_ms: dialogue.speechMs,
    status: dialogue.status,
    close_reason: dialogue.closeReason,
    revision: dialogue.revision,
    asr_status: dialogue.asrStatus,
    asr_pass: dialogue.asrPass,
    asr_error: dialogue.asrError,
    analysis_status: dialogue.analysisStatus,
    analysis_pass: dialogue.analysisPass,
    analysis_error: dialogue.analysisError,
    created_at: isoTime(dialogue.createdAt),
    updated_at: isoTime(dialogue.updatedAt),
    closed_at: isoTime(dialogue.closedAt),
  };
}
