import type OpenAI from "openai";
import { describeProviderError, lazyOpenAiClient } from "../pipeline/openai-client.ts";
import type { LlmSettings } from "../pipeline/analysis/upsell-analyser.ts";
import { checkRephrasing, type RephrasingBounds, type RephrasingRejectionCode, defaultRephrasingBounds } from "./rephrasing-check.ts";

/**
 * Varied wording per lead through the OpenAI-compatible chat model the analysis uses
 * (LLM_BASE_URL, LLM_MODEL …). Each answer is checked (rephrasing-check.ts); a rejected one is
 * asked for again, and after the last attempt the plain script text is spoken, marked as such.
 */
export type StudioLanguage = "ru" | "en";

export interface RephraseRequest {
  template: string;
  /** The lead's field values the template's placeholders take. */
  values: Record<string, string>;
  /** The template rendered for this lead: what is spoken when no rephrasing passes. */
  plainText: string;
  language: StudioLanguage;
}

export interface RephraseAttemptFailure {
  code: RephrasingRejectionCode | "rephrase.provider_failed" | "rephrase.no_answer";
  message: string;
}

export type RephraseOutcome =
  | { source: "rephrased"; text: string; attempts: number; rejections: RephraseAttemptFailure[] }
  /** Every attempt failed: the plain text, with each attempt's reason. */
  | { source: "template"; text: string; attempts: number; rejections: RephraseAttemptFailure[] };

export interface LeadRephraser {
  rephrase(request: RephraseRequest, signal?: AbortSignal): Promise<RephraseOutcome>;
}

export interface LeadRephraserOptions {
  llm: LlmSettings;
  /** Attempts per line before the plain text is used. */
  maxAttempts?: number;
  bounds?: RephrasingBounds;
  /** 0–2; higher varies the wording more. */
  temperature?: number;
}

const systemPrompts: Record<StudioLanguage, string> = {
  en: [
    "You rephrase one line of a phone call script so that each customer hears it worded a little differently.",
    "Keep the meaning and every fact: every name, number, price, date and product exactly as written, in the same form.",
    "Add nothing, drop nothing, no new numbers or promises. Keep roughly the same length. Write in English.",
    "Answer with the rephrased line only, no quotes and no comments.",
  ].join("\n"),
  ru: [
    "Ты перефразируешь одну реплику телефонного сценария, чтобы каждый клиент слышал её немного по-разному.",
    "Сохрани смысл и все факты: каждое имя, число, цену, дату и название товара точно в том же написании.",
    "Ничего не добавляй и не убирай, никаких новых чисел и обещаний. Длина примерно та же. Пиши по-русски.",
    "Ответь только перефразированной репликой, без кавычек и комментариев.",
  ].join("\n"),
};

export function createLeadRephraser(options: LeadRephraserOptions): LeadRephraser {
  const clientOf = lazyOpenAiClient(options.llm.endpoint);
  return {
    rephrase: async (request, signal) => rephraseLine(await clientOf(), options, request, signal),
  };
}

async function rephraseLine(client: OpenAI, options: LeadRephraserOptions, request: RephraseRequest, signal?: AbortSignal): Promise<RephraseOutcome> {
  const maxAttempts = options.maxAttempts ?? 3;
  const rejections: RephraseAttemptFailure[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    signal?.throwIfAborted();
    let answer: string | null | undefined;
    try {
      const completion = await client.chat.completions.create(
        {
          model: options.llm.model,
          temperature: options.temperature ?? 0.9,
          messages: [
            { role: "system", content: systemPrompts[request.language] },
            { role: "user", content: request.plainText },
          ],
        },
        { timeout: options.llm.endpoint.timeoutMs, maxRetries: 0, signal },
      );
      answer = completion.choices[0]?.message?.content;
    } catch (error) {
      if (signal?.aborted) throw error;
      rejections.push({ code: "rephrase.provider_failed", message: `the chat model failed: ${describeProviderError(error)}` });
      continue;
    }
    if (!answer) {
      rejections.push({ code: "rephrase.no_answer", message: "the chat model returned no text" });
      continue;
    }
    const checked = checkRephrasing({ template: request.template, values: request.values, plainText: request.plainText, candidate: answer }, options.bounds ?? defaultRephrasingBounds);
    if (checked.ok) return { source: "rephrased", text: checked.text, attempts: attempt, rejections };
    rejections.push({ code: checked.code, message: checked.message });
  }
  return { source: "template", text: request.plainText, attempts: maxAttempts, rejections };
}
