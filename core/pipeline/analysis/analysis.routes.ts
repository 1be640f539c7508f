import { z } from "zod";
import { analysisSettingsPath } from "../../../shared/contracts/analysis-jobs.ts";
import { uuidString } from "../../../shared/contracts/identifiers.ts";
import type { HttpApp } from "../../../shared/http/create-http-app.ts";
import { isoTime } from "../../../shared/http/iso-time.ts";
import type { Clock } from "../../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import type { AnalysisSettings } from "./analysis-settings.ts";
import type { DialogueAnalysisRow, UpsellOfferRow } from "./analysis.schema.ts";
import { getCurrentAnalysis, requestReanalysis } from "./analysis.usecases.ts";

const dialogueParam = z.object({ dialogue_id: uuidString });

/** What an analysis found, with each quote's offsets into the transcript it was made from. */
export function presentAnalysisFindings(analysis: DialogueAnalysisRow, offers: readonly UpsellOfferRow[], settings: AnalysisSettings) {
  const language = analysis.language === "ru" ? "ru" : "en";
  const labelsOf = (category: string) => settings.categories.find((known) => known.id === category)?.label ?? null;
  return {
    upsell_attempted: analysis.upsellAttempted,
    offers: offers.map((offer) => ({
      category: offer.category,
      // In the transcript's language, and both (the dashboard shows the one of its page).
      category_label: labelsOf(offer.category)?.[language] ?? null,
      category_labels: labelsOf(offer.category),
      product: offer.product,
      quote: { text: offer.quote, start: offer.quoteStart, end: offer.quoteEnd },
    })),
    customer_reaction: analysis.customerReaction,
    customer_quote: analysis.customerQuote === null ? null : { text: analysis.customerQuote, start: analysis.customerQuoteStart, end: analysis.customerQuoteEnd },
    quality_score: analysis.qualityScore,
    rubric: analysis.rubric,
    quality_rationale: analysis.qualityRationale,
    summary: analysis.summary,
  };
}

/** Admin reading and re-running of analyses; the settings `core worker --role analysis` works by. */
export function registerAnalysisRoutes(app: HttpApp, deps: { db: CoreDatabase; clock: Clock; settings: AnalysisSettings }): void {
  app.get("/api/v1/admin/dialogues/:dialogue_id/analysis", async (c) => {
    const { dialogue_id } = dialogueParam.parse(c.req.param());
    const { dialogue, transcript, analysis, offers } = await getCurrentAnalysis(deps, dialogue_id);
    return c.json({
      dialogue_id: dialogue.dialogueId,
      transcript_id: analysis.transcriptId,
      /** False while a newer transcript or analysis of the dialogue is on its way. */
      current: transcript?.id === analysis.transcriptId && dialogue.analysisStatus === "DONE",
      pass: analysis.pass,
      method: analysis.method,
      model: analysis.model,
      language: analysis.language,
      ...presentAnalysisFindings(analysis, offers, deps.settings),
      worker: analysis.worker,
      created_at: isoTime(analysis.createdAt),
    });
  });

  app.post("/api/v1/admin/dialogues/:dialogue_id/reanalyse", async (c) => {
    const { dialogue_id } = dialogueParam.parse(c.req.param());
    const queued = await requestReanalysis(deps, dialogue_id);
    return c.json({ status: "queued" as const, pass: queued.pass }, 202);
  });

  app.get(analysisSettingsPath, (c) => c.json({ settings: deps.settings }));
}
