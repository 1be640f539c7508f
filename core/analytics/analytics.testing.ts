import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { devices } from "../devices/devices.schema.ts";
import { audioChunks } from "../ingest/ingest.schema.ts";
import { dialogueAnalyses, upsellOffers } from "../pipeline/analysis/analysis.schema.ts";
import { dialogueTranscripts } from "../pipeline/asr/asr.schema.ts";
import { dialogues } from "../pipeline/dialogues/dialogues.schema.ts";
import type { customerReactions } from "../../shared/contracts/analysis-jobs.ts";

export interface AnalysedDialogueFixture {
  dialogueId?: string;
  pointId: string;
  registerId: string;
  startTs: number;
  upsell: boolean;
  reaction: (typeof customerReactions)[number];
  quality: number;
  /** Each offer's category and the transcript words it quotes (they must occur in `text`). */
  offers?: Array<{ category: string; quote: string }>;
  text: string;
  summary?: string;
}

/** Writes a closed, transcribed and analysed dialogue the way the pipeline leaves it. */
export async function insertAnalysedDialogue(db: CoreDatabase, fixture: AnalysedDialogueFixture): Promise<string> {
  const dialogueId = fixture.dialogueId ?? randomUUID();
  await db.insert(dialogues).values({
    dialogueId,
    pointId: fixture.pointId,
    registerId: fixture.registerId,
    startTs: fixture.startTs,
    endTs: fixture.startTs + 45_000,
    segmentCount: 1,
    speechMs: 40_000,
    status: "closed",
    closeReason: "silence",
    createdAt: fixture.startTs,
    updatedAt: fixture.startTs,
    closedAt: fixture.startTs + 60_000,
    asrStatus: "DONE",
    asrPass: 1,
    analysisStatus: "DONE",
    analysisPass: 1,
  });
  await insertAnalysis(db, dialogueId, fixture);
  return dialogueId;
}

/** Writes the transcript and analysis (pass 1) of a dialogue that already exists, as the pipeline's stages leave them. */
export async function insertAnalysis(db: CoreDatabase, dialogueId: string, fixture: Omit<AnalysedDialogueFixture, "dialogueId" | "pointId" | "registerId">): Promise<void> {
  const [transcript] = await db
    .insert(dialogueTranscripts)
    .values({ dialogueId, revision: 1, pass: 1, text: fixture.text, segments: JSON.stringify([{ start_ms: 0, end_ms: 40_000, text: fixture.text }]), language: "ru", model: "fixture", audioMs: 40_000, providerMs: 10, createdAt: fixture.startTs })
    .returning({ id: dialogueTranscripts.id });
  const [analysis] = await db
    .insert(dialogueAnalyses)
    .values({
      dialogueId,
      transcriptId: transcript!.id,
      pass: 1,
      method: "rules",
      language: "ru",
      upsellAttempted: fixture.upsell,
      customerReaction: fixture.reaction,
      qualityScore: fixture.quality,
      rubric: "fixture rubric",
      qualityRationale: "fixture rationale",
      summary: fixture.summary ?? "fixture summary",
      createdAt: fixture.startTs,
    })
    .returning({ id: dialogueAnalyses.id });
  const offers = fixture.offers ?? [];
  if (offers.length > 0)
    await db.insert(upsellOffers).values(
      offers.map((offer, position) => {
        const quoteStart = fixture.text.indexOf(offer.quote);
        if (quoteStart < 0) throw new Error(`quote "${offer.quote}" is not in the transcript`);
        return { analysisId: analysis!.id, position, category: offer.category, product: null, quote: offer.quote, quoteStart, quoteEnd: quoteStart + offer.quote.length };
      }),
    );
}

/**
 * Minute-long chunk rows of a recorder from `from` to `to` (UTC instants), each received two seconds
 * after it ends, as ingest stores them but without their files: the recorders page reads only times.
 */
export async function insertRecording(db: CoreDatabase, device: { deviceId: string; pointId: string; registerId: string }, from: number, to: number): Promise<void> {
  const rows = [];
  for (let startTs = from; startTs < to; startTs += 60_000) {
    const chunkId = randomUUID();
    const endTs = Math.min(startTs + 60_000, to);
    rows.push({ chunkId, deviceId: device.deviceId, pointId: device.pointId, registerId: device.registerId, startTs, endTs, codec: "opus", sampleRate: 16000, channels: 1, byteSize: 1000, sha256: "a".repeat(64), storedPath: `fixture/${chunkId}.ogg`, receivedAt: endTs + 2000 });
  }
  for (let index = 0; index < rows.length; index += 500) await db.insert(audioChunks).values(rows.slice(index, index + 500));
  const last = rows[rows.length - 1];
  if (last) await db.update(devices).set({ lastUploadAt: last.receivedAt }).where(eq(devices.deviceId, device.deviceId));
}
