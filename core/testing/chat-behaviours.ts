import type { AnalysisSettings } from "../pipeline/analysis/analysis-settings.ts";
import { type LlmAnalysisOutput, transcriptFromMessage } from "../pipeline/analysis/llm-analyser.ts";
import { analyseWithRules } from "../pipeline/analysis/rule-based-analyser.ts";
import type { ChatBehaviour, ChatCompletionRequest } from "./openai-compatible-server.ts";

/**
 * How the test chat model answers. It reads the transcript out of the request, finds the offers
 * with the offline rules, and answers in the structured-output shape, faithfully or not.
 */
export function answerFor(request: ChatCompletionRequest, settings: AnalysisSettings): LlmAnalysisOutput {
  const user = request.messages.find((message) => message.role === "user")?.content ?? "";
  const transcript = transcriptFromMessage(user) ?? "";
  const analysis = analyseWithRules(transcript, settings);
  return {
    language: analysis.language,
    upsell_attempted: analysis.upsellAttempted,
    offers: analysis.offers.map((offer) => ({ category: offer.category, product: offer.product, seller_quote: offer.quote.text.toLowerCase() })),
    customer_reaction: analysis.customerReaction,
    customer_quote: analysis.customerQuote?.text ?? null,
    quality_score: analysis.qualityScore,
    quality_rationale: `model: ${analysis.qualityRationale}`,
    summary: `model: ${analysis.summary}`,
  };
}

export const faithfulModel =
  (settings: AnalysisSettings): ChatBehaviour =>
  (request) => ({ content: JSON.stringify(answerFor(request, settings)) });

/** Quotes the seller in words the transcript does not contain. */
export const paraphrasingModel =
  (settings: AnalysisSettings): ChatBehaviour =>
  (request) => {
    const answer = answerFor(request, settings);
    for (const offer of answer.offers) offer.seller_quote = `Perhaps you might consider ${offer.product ?? "something else"} as well`;
    return { content: JSON.stringify(answer) };
  };

export const invalidJsonModel: ChatBehaviour = () => ({ content: '{"upsell_attempted": true, "offers": [' });
export const wrongShapeModel: ChatBehaviour = () => ({ content: JSON.stringify({ upsell: "maybe", score: "high" }) });
