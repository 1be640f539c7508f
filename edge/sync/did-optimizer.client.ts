import {
  apiKeyHeader,
  callResultsBatchPath,
  callResultsBatchResponse,
  type CallResultsBatchResponse,
  didOptimizerHealthPath,
  didOptimizerHealthResponse,
  type DidOptimizerHealthResponse,
} from "../../shared/contracts/call-results.ts";
import type { DidOptimizerApiSettings } from "../vicidial/vicidial-settings.ts";

/** What the core did with one batch, classified for the sender. */
export type BatchDelivery =
  | { kind: "delivered"; response: CallResultsBatchResponse["data"] }
  /** The batch as a whole was refused for its content or size: split it, or give up on a single row. */
  | { kind: "refused"; status: number; message: string }
  /** Nothing to do with these rows (core down, key refused, wrong URL): keep them and retry later. */
  | { kind: "failed"; status: number | null; message: string };

export interface DidOptimizerClient {
  readonly baseUrl: string;
  sendBatch(payloads: readonly string[], signal?: AbortSignal): Promise<BatchDelivery>;
  checkHealth(signal?: AbortSignal): Promise<{ ok: true; health: DidOptimizerHealthResponse } | { ok: false; message: string }>;
}

/** The client for the configured API, or null while no API key is set. */
export function createDidOptimizerClient(api: Pick<DidOptimizerApiSettings, "baseUrl" | "apiKey" | "timeoutMs">): DidOptimizerClient | null {
  const { apiKey } = api;
  if (!apiKey) return null;
  const post = async (path: string, body: string, signal: AbortSignal | undefined): Promise<Response> => {
    const timeout = AbortSignal.timeout(api.timeoutMs);
    return fetch(`${api.baseUrl}${path}`, {
      method: "POST",
      headers: { [apiKeyHeader]: apiKey, "content-type": "application/json" },
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  };

  return {
    baseUrl: api.baseUrl,

    async sendBatch(payloads, signal) {
      let response: Response;
      try {
        // The payloads are JSON already; joining them avoids parsing and re-serialising each row.
        response = await post(callResultsBatchPath, `{"results":[${payloads.join(",")}]}`, signal);
      } catch (error) {
        return { kind: "failed", status: null, message: `cannot reach the core at ${api.baseUrl}: ${describeFetchError(error)}` };
      }
      const text = await response.text().catch(() => "");
      if (response.ok) {
        const parsed = callResultsBatchResponse.safeParse(safeJson(text));
        if (!parsed.success || parsed.data.data.results.length !== payloads.length) {
          return { kind: "failed", status: response.status, message: `the core at ${api.baseUrl} answered the batch with something unexpected` };
        }
        return { kind: "delivered", response: parsed.data.data };
      }
      const reason = errorOf(text) ?? `HTTP ${response.status}`;
      if (response.status === 400 || response.status === 413 || response.status === 422) return { kind: "refused", status: response.status, message: reason };
      if (response.status === 401 || response.status === 403) {
        return { kind: "failed", status: response.status, message: `the core refused the API key (${reason}); check api_key in dids.conf or DID_OPTIMIZER_API_KEY` };
      }
      if (response.status === 404) {
        return { kind: "failed", status: 404, message: `no DID Optimizer API at ${api.baseUrl}${callResultsBatchPath} (${reason}); check api_base_url or DID_OPTIMIZER_API_URL` };
      }
      return { kind: "failed", status: response.status, message: `the core at ${api.baseUrl} answered ${response.status}: ${reason}` };
    },

    async checkHealth(signal) {
      try {
        const response = await post(didOptimizerHealthPath, "{}", signal);
        const text = await response.text();
        if (!response.ok) return { ok: false, message: `the core at ${api.baseUrl} answered ${response.status}: ${errorOf(text) ?? text.slice(0, 200)}` };
        const parsed = didOptimizerHealthResponse.safeParse(safeJson(text));
        return parsed.success ? { ok: true, health: parsed.data } : { ok: false, message: `the core at ${api.baseUrl} answered its health check with something unexpected` };
      } catch (error) {
        return { ok: false, message: `cannot reach the core at ${api.baseUrl}: ${describeFetchError(error)}` };
      }
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorOf(text: string): string | null {
  const body = safeJson(text) as { error?: { code?: string; message?: string } } | undefined;
  if (body?.error?.message) return `${body.error.code ?? "error"}: ${body.error.message}`;
  return null;
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "no answer in time";
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
  return cause ? `${(error as Error).message} (${cause})` : (error as Error).message;
}
