import type { AnalysisJobResult } from "../../../shared/contracts/analysis-jobs.ts";
import type { ConfigOf } from "../../../shared/config/config-spec.ts";
import { describeProviderError, isPermanentProviderError, lazyOpenAiClient, type OpenAiEndpoint, openAiEndpointOf } from "../openai-client.ts";
import type { asrConfig } from "../asr/asr.config.ts";
import type { analysisConfig } from "./analysis.config.ts";
import type { AnalysisSettings } from "./analysis-settings.ts";
import { AnalysisRejected, analyseWithLlm } from "./llm-analyser.ts";
import { analyseWithRules } from "./rule-based-analyser.ts";
import type { UpsellAnalysis } from "./upsell-analysis.ts";

export interface LlmSettings {
  endpoint: OpenAiEndpoint;
  model: string;
  concurrency: number;
}

/** The LLM these settings name, or null: then the offline rules analyse. */
export function llmSettingsOf(config: ConfigOf<typeof analysisConfig> & Pick<ConfigOf<typeof asrConfig>, "openaiApiKey">): LlmSettings | null {
  const endpoint = openAiEndpointOf({ baseUrl: config.llmBaseUrl, apiKey: config.llmApiKey ?? config.openaiApiKey, timeoutSeconds: config.llmTimeoutSeconds });
  return endpoint ? { endpoint, model: config.llmModel, concurrency: config.llmConcurrency } : null;
}

export interface UpsellAnalyser {
  readonly method: UpsellAnalysis["method"];
  readonly model: string | null;
  analyse(input: { transcript: string; language: string | null }, settings: AnalysisSettings, signal?: AbortSignal): Promise<UpsellAnalysis>;
}

/** An LLM when one is configured, else the offline rules: the same record either way, marked with its method. */
export function createUpsellAnalyser(llm: LlmSettings | null): UpsellAnalyser {
  if (!llm) {
    return { method: "rules", model: null, analyse: async (input, settings) => analyseWithRules(input.transcript, settings, input.language) };
  }
  const clientOf = lazyOpenAiClient(llm.endpoint);
  return {
    method: "llm",
    model: llm.model,
    analyse: async (input, settings, signal) => analyseWithLlm({ client: await clientOf(), model: llm.model, settings, timeoutMs: llm.endpoint.timeoutMs }, input, signal),
  };
}

/** How an analysis failed: the reason stored on the job, and whether a retry can help. */
export function analysisFailureOf(error: unknown): { message: string; permanent: boolean } {
  if (error instanceof AnalysisRejected) return { message: `analysis rejected (${error.code}): ${error.message}`, permanent: false };
  return { message: `analysis failed: ${describeProviderError(error)}`, permanent: isPermanentProviderError(error) };
}

/** The analysis as the `analysis` queue's result. */
export function analysisResultOf(analysis: UpsellAnalysis, worker: string | null): AnalysisJobResult {
  return {
    method: analysis.method,
    model: analysis.model,
    language: analysis.language === "ru" ? "ru" : "en",
    upsell_attempted: analysis.upsellAttempted,
    offers: analysis.offers.map((offer) => ({ category: offer.category, product: offer.product, quote: offer.quote })),
    customer_reaction: analysis.customerReaction,
    customer_quote: analysis.customerQuote,
    quality_score: analysis.qualityScore,
    rubric: analysis.rubric,
    quality_rationale: analysis.qualityRationale,
    summary: analysis.summary,
    worker,
  };
}
