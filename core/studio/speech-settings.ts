import type { ConfigOf } from "../../shared/config/config-spec.ts";
import { openAiEndpointOf } from "../pipeline/openai-client.ts";
import { createEspeakSpeechProvider } from "./espeak-speech-provider.ts";
import { createOpenAiSpeechProvider, type OpenAiSpeechSettings } from "./openai-speech-provider.ts";
import type { SpeechProvider } from "./speech-provider.ts";
import type { studioConfig } from "./studio.config.ts";

export type SpeechSettings = { provider: "openai-compatible"; server: OpenAiSpeechSettings } | { provider: "espeak-ng" };

/** A configured speech server (TTS_BASE_URL or TTS_API_KEY), else espeak-ng: the studio always speaks. */
export function speechSettingsOf(config: ConfigOf<typeof studioConfig>): SpeechSettings {
  const endpoint = openAiEndpointOf({ baseUrl: config.ttsBaseUrl, apiKey: config.ttsApiKey, timeoutSeconds: config.ttsTimeoutSeconds });
  return endpoint ? { provider: "openai-compatible", server: { endpoint, model: config.ttsModel, voice: config.ttsVoice } } : { provider: "espeak-ng" };
}

export function createSpeechProvider(settings: SpeechSettings): SpeechProvider {
  return settings.provider === "openai-compatible" ? createOpenAiSpeechProvider(settings.server) : createEspeakSpeechProvider();
}
