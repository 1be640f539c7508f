import type { z } from "zod";
import {
  type ClaimedJobWire,
  claimJobResponse,
  heartbeatResponse,
  internalApiPaths,
  internalErrorCodes,
  jobFailureResponse,
  jobResultResponse,
} from "../../shared/contracts/worker-jobs.ts";

/** A non-2xx answer from the core, with the code of its error envelope. */
export class InternalApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "InternalApiError";
  }

  get leaseLost(): boolean {
    return this.code === internalErrorCodes.leaseLost;
  }
}

export interface InternalApiClient {
  claim(queues: string[], options?: { leaseSeconds?: number; worker?: string }): Promise<ClaimedJobWire | null>;
  heartbeat(job: ClaimedJobWire, leaseSeconds?: number): Promise<void>;
  reportResult(job: ClaimedJobWire, result: unknown): Promise<void>;
  reportFailure(job: ClaimedJobWire, error: string, permanent: boolean): Promise<"retrying" | "dead">;
  fetchChunkAudio(chunkId: string): Promise<{ bytes: Uint8Array; sha256: string | null }>;
  /** A stage's own read from the core (the analysis settings), parsed with its contract's schema. */
  getJson<T extends z.ZodType>(path: string, schema: T): Promise<z.output<T>>;
}

/** The worker's side of shared/contracts/worker-jobs.ts. */
export function createInternalApiClient(options: { baseUrl: string; token: string; timeoutMs?: number; fetch?: typeof fetch }): InternalApiClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const request = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const response = await doFetch(`${options.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${options.token}`, ...(init.body ? { "content-type": "application/json" } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.ok) return response;
    const text = await response.text();
    let code = `http.${response.status}`;
    let message = text.slice(0, 300);
    try {
      const envelope = JSON.parse(text) as { error?: { code?: string; message?: string } };
      code = envelope.error?.code ?? code;
      message = envelope.error?.message ?? message;
    } catch {
      // not our envelope (a proxy's page): keep the raw text
    }
    throw new InternalApiError(response.status, code, `${init.method ?? "GET"} ${path}: ${response.status} ${code}: ${message}`);
  };
  const postJson = async <T extends z.ZodType>(path: string, body: unknown, schema: T): Promise<z.output<T>> =>
    schema.parse(await (await request(path, { method: "POST", body: JSON.stringify(body) })).json());

  return {
    async claim(queues, claimOptions = {}) {
      const answer = await postJson(internalApiPaths.claim, { queues, lease_seconds: claimOptions.leaseSeconds, worker: claimOptions.worker }, claimJobResponse);
      return answer.job;
    },
    async heartbeat(job, leaseSeconds) {
      await postJson(internalApiPaths.heartbeat(job.job_id), { lease_token: job.lease_token, lease_seconds: leaseSeconds }, heartbeatResponse);
    },
    async reportResult(job, result) {
      await postJson(internalApiPaths.result(job.job_id), { lease_token: job.lease_token, result }, jobResultResponse);
    },
    async reportFailure(job, error, permanent) {
      return (await postJson(internalApiPaths.failure(job.job_id), { lease_token: job.lease_token, error: error.slice(0, 2000), permanent }, jobFailureResponse)).outcome;
    },
    async fetchChunkAudio(chunkId) {
      const response = await request(internalApiPaths.chunkAudio(chunkId));
      return { bytes: new Uint8Array(await response.arrayBuffer()), sha256: response.headers.get("x-content-sha256") };
    },
    async getJson(path, schema) {
      return schema.parse(await (await request(path)).json());
    },
  };
}
