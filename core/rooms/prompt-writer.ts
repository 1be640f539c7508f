import { describeProviderError, lazyOpenAiClient } from "../pipeline/openai-client.ts";
import type { LlmSettings } from "../pipeline/analysis/upsell-analyser.ts";

/** Why an LLM-written message stopped. */
export class PromptWriterError extends Error {
  constructor(
    readonly code: "rooms.llm_failed" | "rooms.llm_empty",
    message: string,
  ) {
    super(message);
    this.name = "PromptWriterError";
  }
}

export interface PromptWriter {
  /** The model's answer to `prompt` as it is written, piece by piece. */
  write(prompt: string, language: "ru" | "en", signal: AbortSignal): AsyncIterable<string>;
}

const systemPrompts = {
  en: "You write a short spoken message for a sales campaign, to be read aloud by a speech synthesiser. Plain sentences only: no lists, no markdown, no emoji. Write in English.",
  ru: "Ты пишешь короткое устное сообщение для рекламной кампании, его прочитает синтезатор речи. Только обычные предложения: без списков, разметки и эмодзи. Пиши по-русски.",
} as const;

/** The chat model the analysis uses (LLM_BASE_URL, LLM_MODEL …), asked with `stream: true`. */
export function createPromptWriter(llm: LlmSettings): PromptWriter {
  const clientOf = lazyOpenAiClient(llm.endpoint);
  return {
    async *write(prompt, language, signal) {
      const client = await clientOf();
      let stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>;
      let written = 0;
      try {
        stream = await client.chat.completions.create(
          { model: llm.model, stream: true, messages: [{ role: "system", content: systemPrompts[language] }, { role: "user", content: prompt }] },
          { timeout: llm.endpoint.timeoutMs, maxRetries: 0, signal },
        );
        for await (const part of stream) {
          const text = part.choices[0]?.delta?.content;
          if (!text) continue;
          written += text.length;
          yield text;
        }
      } catch (error) {
        if (signal.aborted) throw signal.reason ?? error;
        throw new PromptWriterError("rooms.llm_failed", `the chat model failed: ${describeProviderError(error)}`);
      }
      if (written === 0) throw new PromptWriterError("rooms.llm_empty", "the chat model wrote nothing");
    },
  };
}
