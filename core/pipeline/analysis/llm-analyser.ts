import type OpenAI from "openai";
import { z } from "zod";
import { describeZodError } from "../../../shared/http/zod-issues.ts";
import { type AnalysisSettings, analysisLanguageOf, systemPromptFor } from "./analysis-settings.ts";
import { type LocatedQuote, locateQuote } from "./quote-locator.ts";
import { customerReactions, type UpsellAnalysis } from "./upsell-analysis.ts";

/** Why a model's answer was not stored; the job is retried and, after its last attempt, dead with this reason. */
export class AnalysisRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AnalysisRejected";
  }
}

/**
 * The model's answer, as a strict structured-output schema: every field required, absent values
 * are null (providers reject optional fields in strict mode).
 */
export function llmAnalysisSchema(settings: AnalysisSettings) {
  const categoryIds = settings.categories.map((category) => category.id) as [string, ...string[]];
  return z.object({
    language: z.string().describe("ISO 639-1 code of the conversation, e.g. ru or en"),
    upsell_attempted: z.boolean(),
    offers: z.array(
      z.object({
        category: z.enum(categoryIds),
        product: z.string().nullable(),
        seller_quote: z.string().describe("the seller's exact words, copied from the transcript"),
      }),
    ),
    customer_reaction: z.enum(customerReactions),
    customer_quote: z.string().nullable().describe("the customer's exact words in reply, copied from the transcript"),
    quality_score: z.number().int().min(0).max(10),
    quality_rationale: z.string(),
    summary: z.string(),
  });
}

export type LlmAnalysisOutput = z.output<ReturnType<typeof llmAnalysisSchema>>;

const transcriptOpen = "<transcript>";
const transcriptClose = "</transcript>";

export function transcriptMessage(transcript: string): string {
  return `${transcriptOpen}\n${transcript}\n${transcriptClose}`;
}

/** The transcript inside a user message built by `transcriptMessage`. */
export function transcriptFromMessage(content: string): string | null {
  const start = content.indexOf(`${transcriptOpen}\n`);
  const end = content.lastIndexOf(`\n${transcriptClose}`);
  return start >= 0 && end > start ? content.slice(start + transcriptOpen.length + 1, end) : null;
}

export interface LlmAnalyserOptions {
  client: OpenAI;
  model: string;
  settings: AnalysisSettings;
  timeoutMs: number;
}

export async function analyseWithLlm(
  options: LlmAnalyserOptions,
  input: { transcript: string; language: string | null },
  signal?: AbortSignal,
): Promise<UpsellAnalysis> {
  const language = analysisLanguageOf(input.language, input.transcript);
  const schema = llmAnalysisSchema(options.settings);
  // Loaded with the first analysis: a core that analyses with the offline rules never needs it.
  const { zodResponseFormat } = await import("openai/helpers/zod");
  const completion = await options.client.chat.completions.create(
    {
      model: options.model,
      temperature: 0,
      messages: [
        { role: "system", content: systemPromptFor(options.settings, language) },
        { role: "user", content: transcriptMessage(input.transcript) },
      ],
      response_format: zodResponseFormat(schema, "upsell_analysis"),
    },
    { timeout: options.timeoutMs, maxRetries: 0, signal },
  );
  const message = completion.choices[0]?.message;
  if (message?.refusal) throw new AnalysisRejected("analysis.refused", `the model refused: ${message.refusal}`);
  if (!message?.content) throw new AnalysisRejected("analysis.empty", "the model returned no content");

  let raw: unknown;
  try {
    raw = JSON.parse(message.content);
  } catch {
    throw new AnalysisRejected("analysis.invalid_json", `the model's answer is not JSON: ${message.content.slice(0, 200)}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new AnalysisRejected("analysis.invalid_shape", `the model's answer does not match the schema (${describeZodError(parsed.error)})`);
  }
  const answer = parsed.data;
  if (answer.upsell_attempted !== answer.offers.length > 0) {
    throw new AnalysisRejected("analysis.inconsistent", "the model's upsell_attempted does not agree with its list of offers");
  }

  const offers = answer.offers.map((offer) => ({ category: offer.category, product: offer.product, quote: verifiedQuote(input.transcript, offer.seller_quote) }));
  const customerQuote: LocatedQuote | null = answer.customer_quote === null ? null : verifiedQuote(input.transcript, answer.customer_quote);
  return {
    method: "llm",
    model: completion.model || options.model,
    language,
    upsellAttempted: answer.upsell_attempted,
    offers,
    customerReaction: answer.customer_reaction,
    customerQuote,
    qualityScore: answer.quality_score,
    rubric: options.settings.rubric[language],
    qualityRationale: answer.quality_rationale,
    summary: answer.summary,
  };
}

function verifiedQuote(transcript: string, quote: string): LocatedQuote {
  const located = locateQuote(transcript, quote);
  if (!located) throw new AnalysisRejected("analysis.unverifiable_quote", `the model quoted words that are not in the transcript: "${quote.slice(0, 200)}"`);
  return located;
}
