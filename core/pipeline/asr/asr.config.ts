import { field } from "../../../shared/config/config-spec.ts";
import { flag, httpUrl, integer, oneOf, optional, text } from "../../../shared/config/config-types.ts";

/**
 * Transcription through any OpenAI-compatible server (speaches, whisper.cpp server, vLLM on-prem;
 * OpenAI's `whisper-1` in the cloud), and the lease every pipeline worker holds on its job.
 */
export const asrConfig = {
  openaiApiKey: field(optional(text({ minLength: 1 })), {
    env: "OPENAI_API_KEY",
    description: "OpenAI API key: the analysis uses OpenAI's API with it unless LLM_BASE_URL points elsewhere. It never turns on transcription: shop audio leaves this server only for TRANSCRIPTION_BASE_URL.",
    secret: true,
  }),
  transcriptionBaseUrl: field(optional(httpUrl()), {
    env: "TRANSCRIPTION_BASE_URL",
    description: "OpenAI-compatible transcription server that shop audio is sent to, e.g. http://asr-host:8000/v1, or https://api.openai.com/v1 for OpenAI's cloud; unset means no audio leaves this server (closed dialogues wait for `core worker --role asr`).",
  }),
  transcriptionApiKey: field(optional(text({ minLength: 1 })), {
    env: "TRANSCRIPTION_API_KEY",
    description: "API key for the transcription server (default OPENAI_API_KEY).",
    secret: true,
  }),
  transcriptionModel: field(text({ minLength: 1, maxLength: 200 }), {
    env: "TRANSCRIPTION_MODEL",
    default: "whisper-1",
    description: "Transcription model name as the server knows it (whisper-1, Systran/faster-whisper-large-v3, …).",
  }),
  transcriptionLanguage: field(optional(text({ minLength: 2, maxLength: 16 })), {
    env: "TRANSCRIPTION_LANGUAGE",
    description: "Language of the recordings as an ISO 639-1 code (ru, en); unset lets the model detect it.",
  }),
  transcriptionResponseFormat: field(oneOf(["verbose_json", "json"] as const), {
    env: "TRANSCRIPTION_RESPONSE_FORMAT",
    default: "verbose_json" as const,
    description: "verbose_json stores timed segments; json for servers and models that only return text.",
  }),
  transcriptionTimeoutSeconds: field(integer({ min: 5, max: 3600 }), {
    env: "TRANSCRIPTION_TIMEOUT_SECONDS",
    default: 300,
    description: "How long one transcription request may take before it is abandoned and retried.",
  }),
  transcriptionConcurrency: field(integer({ min: 1, max: 64 }), {
    env: "TRANSCRIPTION_CONCURRENCY",
    default: 2,
    description: "Transcription requests one process (core or worker) sends to its server at a time.",
  }),
  asrInProcess: field(flag(), {
    env: "ASR_IN_PROCESS",
    default: true,
    description: "Transcribe closed dialogues inside the core process when a transcription server is configured; false leaves it to `core worker --role asr`.",
  }),
  workerLeaseSeconds: field(integer({ min: 10, max: 3600 }), {
    env: "WORKER_LEASE_SECONDS",
    default: 60,
    description: "How long a transcription or analysis job stays with its worker without a heartbeat (sent every third of it); a worker that dies loses its job after this.",
  }),
};
