import type OpenAI from "openai";

type OpenAiModule = typeof import("openai");
let openAiModule: OpenAiModule | null = null;

/** Where an OpenAI-compatible service is and how to reach it. */
export interface OpenAiEndpoint {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

export const openAiCloudBaseUrl = "https://api.openai.com/v1";
/** Sent to servers that need no key (speaches, whisper.cpp server): the client insists on one. */
const keylessPlaceholder = "no-key";

/**
 * The endpoint a base URL / key pair configures: a base URL alone is an on-prem server, a key alone
 * is OpenAI's API, neither is nothing.
 */
export function openAiEndpointOf(options: { baseUrl?: string; apiKey?: string; timeoutSeconds: number }): OpenAiEndpoint | null {
  if (!options.baseUrl && !options.apiKey) return null;
  return { baseUrl: options.baseUrl ?? openAiCloudBaseUrl, apiKey: options.apiKey ?? keylessPlaceholder, timeoutMs: options.timeoutSeconds * 1000 };
}

/**
 * A client configured only by our settings: every value the package would otherwise read from the
 * environment is given, and retries are ours (durable jobs with backoff), not the client's. The
 * package loads with the first request, so a core without a provider never loads it.
 */
export function lazyOpenAiClient(endpoint: OpenAiEndpoint): () => Promise<OpenAI> {
  let client: Promise<OpenAI> | null = null;
  return () =>
    (client ??= import("openai").then((module) => {
      openAiModule = module;
      return new module.default({
        baseURL: endpoint.baseUrl,
        apiKey: endpoint.apiKey,
        organization: null,
        project: null,
        webhookSecret: null,
        timeout: endpoint.timeoutMs,
        maxRetries: 0,
      });
    }));
}

/** Whether a provider's refusal will repeat on retry (a request it cannot take), or may pass later. */
export function isPermanentProviderError(error: unknown): boolean {
  const OpenAI = openAiModule?.default;
  if (!OpenAI) return false;
  return error instanceof OpenAI.APIError && typeof error.status === "number" && [400, 404, 413, 415, 422].includes(error.status);
}

/** A provider failure in a line fit for a job's error column, with no request ids or keys. */
export function describeProviderError(error: unknown): string {
  const OpenAI = openAiModule?.default;
  if (OpenAI && error instanceof OpenAI.APIConnectionTimeoutError) return "the server did not answer in time";
  if (OpenAI && error instanceof OpenAI.APIConnectionError) return `the server cannot be reached (${(error.cause as Error | undefined)?.message ?? error.message})`;
  if (OpenAI && error instanceof OpenAI.APIError && typeof error.status === "number") return `the server answered ${error.status}: ${error.message.slice(0, 300)}`;
  if (error instanceof SyntaxError) return `the server's answer is not valid JSON (${error.message.slice(0, 200)})`;
  return (error as Error).message?.slice(0, 500) ?? String(error);
}
