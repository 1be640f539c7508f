import { z } from "zod";
import type { ConfigOf } from "../../../shared/config/config-spec.ts";
import { describeProviderError, isPermanentProviderError, lazyOpenAiClient, type OpenAiEndpoint, openAiEndpointOf } from "../openai-client.ts";
import type { asrConfig } from "./asr.config.ts";

export interface TranscriptionSettings {
  endpoint: OpenAiEndpoint;
  model: string;
  language: string | null;
  responseFormat: "verbose_json" | "json";
  concurrency: number;
}

/**
 * The transcription server these settings name, or null when none is. Only TRANSCRIPTION_BASE_URL
 * names one: shop audio goes to the cloud because someone said so, not because an OpenAI key is set.
 */
export function transcriptionSettingsOf(config: ConfigOf<typeof asrConfig>): TranscriptionSettings | null {
  if (!config.transcriptionBaseUrl) return null;
  const endpoint = openAiEndpointOf({
    baseUrl: config.transcriptionBaseUrl,
    apiKey: config.transcriptionApiKey ?? config.openaiApiKey,
    timeoutSeconds: config.transcriptionTimeoutSeconds,
  });
  if (!endpoint) return null;
  return {
    endpoint,
    model: config.transcriptionModel,
    language: config.transcriptionLanguage?.toLowerCase() ?? null,
    responseFormat: config.transcriptionResponseFormat,
    concurrency: config.transcriptionConcurrency,
  };
}

export interface Transcription {
  text: string;
  language: string | null;
  /** Seconds from the start of the audio sent, when the server gives them. */
  segments: Array<{ start: number; end: number; text: string }> | null;
}

export interface TranscriptionProvider {
  readonly model: string;
  transcribe(wav: Uint8Array, signal?: AbortSignal): Promise<Transcription>;
}

/** Why a transcription request failed, and whether trying again can help. */
export class TranscriptionFailedError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "TranscriptionFailedError";
  }
}

const transcriptionAnswer = z.object({
  text: z.string(),
  language: z.string().nullish(),
  segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })).nullish(),
});

export function createTranscriptionProvider(settings: TranscriptionSettings): TranscriptionProvider {
  const clientOf = lazyOpenAiClient(settings.endpoint);
  return {
    model: settings.model,
    async transcribe(wav, signal) {
      let answer: unknown;
      try {
        const client = await clientOf();
        answer = await client.audio.transcriptions.create(
          {
            file: new File([wav as Uint8Array<ArrayBuffer>], "dialogue.wav", { type: "audio/wav" }),
            model: settings.model,
            response_format: settings.responseFormat,
            ...(settings.language ? { language: settings.language } : {}),
          },
          { signal, timeout: settings.endpoint.timeoutMs, maxRetries: 0 },
        );
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new TranscriptionFailedError(`transcription failed: ${describeProviderError(error)}`, isPermanentProviderError(error));
      }
      const parsed = transcriptionAnswer.safeParse(answer);
      if (!parsed.success) {
        throw new TranscriptionFailedError(`transcription failed: the server's answer is not a transcription (${JSON.stringify(answer)?.slice(0, 200)})`, false);
      }
      return {
        text: parsed.data.text.trim(),
        language: languageCodeOf(parsed.data.language) ?? settings.language,
        segments: parsed.data.segments?.map((segment) => ({ start: segment.start, end: segment.end, text: segment.text.trim() })) ?? null,
      };
    },
  };
}

const languageNames: Record<string, string> = { english: "en", russian: "ru", ukrainian: "uk", serbian: "sr", german: "de", french: "fr", spanish: "es", italian: "it", polish: "pl" };

/** Whisper answers with names ("english"), other servers with codes ("en"): keep codes. */
export function languageCodeOf(language: string | null | undefined): string | null {
  if (!language) return null;
  const lowered = language.trim().toLowerCase();
  if (/^[a-z]{2,3}(-[a-z0-9]+)?$/.test(lowered) && !(lowered in languageNames)) return lowered.slice(0, 16);
  return languageNames[lowered] ?? (lowered.length >= 2 ? lowered.slice(0, 16) : null);
}
