import { z } from "zod";
import { uuidString } from "../../../shared/contracts/identifiers.ts";
import type { HttpApp } from "../../../shared/http/create-http-app.ts";
import { isoTime } from "../../../shared/http/iso-time.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import { getCurrentTranscript } from "./asr.usecases.ts";

/** Admin reading of transcripts (behind the admin token on /api/v1/admin/*). */
export function registerTranscriptRoutes(app: HttpApp, deps: { db: CoreDatabase }): void {
  app.get("/api/v1/admin/dialogues/:dialogue_id/transcript", async (c) => {
    const { dialogue_id } = z.object({ dialogue_id: uuidString }).parse(c.req.param());
    const { dialogue, transcript } = await getCurrentTranscript(deps, dialogue_id);
    return c.json({
      dialogue_id: dialogue.dialogueId,
      transcript_id: transcript.id,
      revision: transcript.revision,
      /** False while a newer revision of the dialogue waits for its own transcript. */
      current: transcript.revision === dialogue.revision,
      pass: transcript.pass,
      text: transcript.text,
      segments: transcript.segments === null ? null : (JSON.parse(transcript.segments) as unknown),
      language: transcript.language,
      model: transcript.model,
      audio_ms: transcript.audioMs,
      provider_ms: transcript.providerMs,
      worker: transcript.worker,
      created_at: isoTime(transcript.createdAt),
    });
  });
}
