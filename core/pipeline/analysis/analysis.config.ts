import { field } from "../../../shared/config/config-spec.ts";
import { flag, httpUrl, integer, optional, text } from "../../../shared/config/config-types.ts";

/** Upsell analysis: an OpenAI-compatible chat model when one is configured, the offline rules otherwise. */
export const analysisConfig = {
  llmBaseUrl: field(optional(httpUrl()), {
    env: "LLM_BASE_URL",
    description: "OpenAI-compatible chat completions server for the analysis, e.g. http://vllm-host:8000/v1; unset means OpenAI's API when OPENAI_API_KEY is set, and the offline rule-based analyser otherwise.",
  }),
  llmApiKey: field(optional(text({ minLength: 1 })), {
    env: "LLM_API_KEY",
    description: "API key for the LLM server (default OPENAI_API_KEY).",
    secret: true,
  }),
  llmModel: field(text({ minLength: 1, maxLength: 200 }), {
    env: "LLM_MODEL",
    default: "gpt-4o-mini",
    description: "Chat model that analyses transcripts; it must support JSON-schema structured output.",
  }),
  llmTimeoutSeconds: field(integer({ min: 5, max: 3600 }), {
    env: "LLM_TIMEOUT_SECONDS",
    default: 120,
    description: "How long one analysis request may take before it is abandoned and retried.",
  }),
  llmConcurrency: field(integer({ min: 1, max: 64 }), {
    env: "LLM_CONCURRENCY",
    default: 2,
    description: "Analysis requests one process (core or worker) sends to its LLM at a time.",
  }),
  analysisInProcess: field(flag(), {
    env: "ANALYSIS_IN_PROCESS",
    default: true,
    description: "Analyse transcripts inside the core process; false leaves it to `core worker --role analysis`.",
  }),
  analysisSettingsFile: field(optional(text({ minLength: 1 })), {
    env: "ANALYSIS_SETTINGS_FILE",
    description: "YAML file replacing the analysis defaults: categories (id, label ru/en, keywords), rubric and system_prompt (ru/en).",
  }),
};
