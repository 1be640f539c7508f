import type { AnalysisJobPayload, AnalysisJobResult } from "../../../shared/contracts/analysis-jobs.ts";
import { internalErrorCodes } from "../../../shared/contracts/worker-jobs.ts";
import { badRequest, conflict, notFound } from "../../../shared/http/app-error.ts";
import type { Logger } from "../../../shared/log/logger.ts";
import type { Clock } from "../../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import { createAsrRepository } from "../asr/asr.repository.ts";
import type { ApplyOutcome } from "../asr/asr.usecases.ts";
import { createDialoguesRepository } from "../dialogues/dialogues.repository.ts";
import { createAnalysisJobQueue, enqueueAnalysisJob } from "./analysis-queue.ts";
import type { AnalysisSettings } from "./analysis-settings.ts";
import { createAnalysisRepository } from "./analysis.repository.ts";

export interface AnalysisDeps {
  db: CoreDatabase;
  clock: Clock;
  logger: Logger;
  settings: AnalysisSettings;
}

/**
 * Why a result cannot be stored against this transcript: a quote that is not the transcript's own
 * text at its offsets, a category the settings do not know, or an answer that contradicts itself.
 */
export function problemsWithAnalysis(transcript: string, result: AnalysisJobResult, settings: AnalysisSettings): string[] {
  const problems: string[] = [];
  const checkQuote = (where: string, quote: { text: string; start: number; end: number }) => {
    if (quote.end > transcript.length || transcript.slice(quote.start, quote.end) !== quote.text) {
      problems.push(`${where} "${quote.text.slice(0, 80)}" is not the transcript's text at ${quote.start}–${quote.end}`);
    }
  };
  const categories = new Set(settings.categories.map((category) => category.id));
  result.offers.forEach((offer, index) => {
    checkQuote(`offers.${index}.quote`, offer.quote);
    if (!categories.has(offer.category)) problems.push(`offers.${index}.category "${offer.category}" is not a configured category`);
  });
  if (result.customer_quote) checkQuote("customer_quote", result.customer_quote);
  if (result.upsell_attempted !== result.offers.length > 0) problems.push("upsell_attempted does not agree with the list of offers");
  return problems;
}

/**
 * Stores an analysis of the dialogue's current transcript, after checking every quote against
 * it. An analysis of a transcript the dialogue has left behind, or of a pass already stored,
 * changes nothing.
 */
export async function applyAnalysis(deps: AnalysisDeps, payload: AnalysisJobPayload, result: AnalysisJobResult): Promise<ApplyOutcome> {
  return deps.db.transaction(async (tx) => {
    const dialogue = await createDialoguesRepository(tx).findDialogue(payload.dialogue_id);
    const transcript = await createAsrRepository(tx).findTranscript(payload.transcript_id);
    if (!dialogue || !transcript || transcript.dialogueId !== dialogue.dialogueId) return "gone";
    if (transcript.revision !== dialogue.revision) return "stale";
    if (dialogue.analysisPass >= payload.pass) return "duplicate";
    const problems = problemsWithAnalysis(transcript.text, result, deps.settings);
    if (problems.length > 0) throw badRequest(internalErrorCodes.invalidResult, `the analysis does not fit its transcript: ${problems.slice(0, 3).join("; ")}`, problems);
    await createAnalysisRepository(tx).insertAnalysis({
        dialogueId: dialogue.dialogueId,
        transcriptId: transcript.id,
        pass: payload.pass,
        method: result.method,
        model: result.model,
        language: result.language,
        upsellAttempted: result.upsell_attempted,
        customerReaction: result.customer_reaction,
        customerQuote: result.customer_quote?.text ?? null,
        customerQuoteStart: result.customer_quote?.start ?? null,
        customerQuoteEnd: result.customer_quote?.end ?? null,
        qualityScore: result.quality_score,
        rubric: result.rubric,
        qualityRationale: result.quality_rationale,
        summary: result.summary,
        worker: result.worker,
        createdAt: deps.clock.now(),
      },
      result.offers.map((offer) => ({ category: offer.category, product: offer.product, quote: offer.quote.text, quoteStart: offer.quote.start, quoteEnd: offer.quote.end })),
    );
    await createAnalysisRepository(tx).setAnalysisStatus(dialogue.dialogueId, "DONE", { pass: payload.pass });
    return "stored";
  });
}

/** An analysis job that went dead: visible on the dialogue with the reason, unless a newer transcript replaced it. */
export async function recordAnalysisFailure(deps: Omit<AnalysisDeps, "settings">, payload: AnalysisJobPayload, error: string): Promise<void> {
  const dialogue = await createDialoguesRepository(deps.db).findDialogue(payload.dialogue_id);
  const transcript = dialogue ? await createAsrRepository(deps.db).findTranscriptOfRevision(dialogue.dialogueId, dialogue.revision) : null;
  if (!dialogue || transcript?.id !== payload.transcript_id || dialogue.analysisPass >= payload.pass) return;
  await createAnalysisRepository(deps.db).setAnalysisStatus(dialogue.dialogueId, "FAILED", { error });
  deps.logger.warn("analysis gave up on a dialogue", { dialogueId: dialogue.dialogueId, transcriptId: payload.transcript_id, error });
}

/** Queues another analysis of the dialogue's current transcript (after an LLM was configured, or settings changed). */
export async function requestReanalysis(deps: Pick<AnalysisDeps, "db" | "clock">, dialogueId: string): Promise<{ pass: number; queued: boolean }> {
  return deps.db.transaction(async (tx) => {
    const dialogue = await createDialoguesRepository(tx).findDialogue(dialogueId);
    if (!dialogue) throw notFound("dialogues.not_found", `no dialogue ${dialogueId}`);
    const transcript = dialogue.asrStatus === "DONE" ? await createAsrRepository(tx).findTranscriptOfRevision(dialogueId, dialogue.revision) : null;
    if (!transcript) throw conflict("analysis.not_transcribed", `dialogue ${dialogueId} has no transcript of its current revision yet (asr_status ${dialogue.asrStatus})`);
    if (transcript.text === "") throw conflict("analysis.empty_transcript", `the transcript of dialogue ${dialogueId} is empty: there is nothing to analyse`);
    const pass = dialogue.analysisPass + 1;
    const job = await enqueueAnalysisJob(tx, deps.clock, { dialogue_id: dialogueId, transcript_id: transcript.id, revision: dialogue.revision, pass, text: transcript.text, language: transcript.language });
    // The same pass asked for again: a job that gave up gets a fresh set of attempts.
    if (!job.created) await createAnalysisJobQueue(tx, deps.clock).retryDead(job.id);
    await createAnalysisRepository(tx).setAnalysisStatus(dialogueId, "QUEUED");
    return { pass, queued: job.created };
  });
}

/** The dialogue's latest analysis with its offers, and the transcript of the dialogue's current revision. */
export async function getCurrentAnalysis(deps: { db: CoreDatabase }, dialogueId: string) {
  const dialogue = await createDialoguesRepository(deps.db).findDialogue(dialogueId);
  if (!dialogue) throw notFound("dialogues.not_found", `no dialogue ${dialogueId}`);
  const latest = await createAnalysisRepository(deps.db).findLatestAnalysis(dialogueId);
  if (!latest) throw notFound("analysis.not_found", `dialogue ${dialogueId} has no analysis yet (analysis_status ${dialogue.analysisStatus})`);
  const transcript = await createAsrRepository(deps.db).findTranscriptOfRevision(dialogueId, dialogue.revision);
  return { dialogue, transcript, ...latest };
}
