import { field } from "../../shared/config/config-spec.ts";
import { httpUrl, integer, optional, text } from "../../shared/config/config-types.ts";

/** The studio's speech synthesis: an OpenAI-compatible speech server when one is configured, espeak-ng otherwise. */
export const studioConfig = {
  ttsBaseUrl: field(optional(httpUrl()), {
    env: "TTS_BASE_URL",
    description: "OpenAI-compatible speech server for the campaign studio, e.g. http://gpu-host:8000/v1 (speaches with Piper speaks Russian); unset means OpenAI's API when TTS_API_KEY is set, and the offline espeak-ng otherwise.",
  }),
  ttsApiKey: field(optional(text({ minLength: 1 })), {
    env: "TTS_API_KEY",
    description: "API key for the speech server (OPENAI_API_KEY is not used for speech: synthesis goes to a paid service only when asked to).",
    secret: true,
  }),
  ttsModel: field(text({ minLength: 1, maxLength: 200 }), {
    env: "TTS_MODEL",
    default: "tts-1",
    description: "Speech model as the server knows it (tts-1, speaches-ai/piper-ru_RU-irina-medium, …).",
  }),
  ttsVoice: field(text({ minLength: 1, maxLength: 100 }), {
    env: "TTS_VOICE",
    default: "alloy",
    description: "Voice the speech server uses when a campaign names none; espeak-ng speaks a campaign's language with its own ru / en-us voices.",
  }),
  ttsTimeoutSeconds: field(integer({ min: 1, max: 600 }), {
    env: "TTS_TIMEOUT_SECONDS",
    default: 60,
    description: "How long one speech request may take before it is abandoned and retried.",
  }),
};
