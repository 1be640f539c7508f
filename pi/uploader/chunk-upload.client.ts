import {
  type ChunkUploadRequest,
  type ChunkUploadResponse,
  chunkFileField,
  chunkUploadFields,
  chunkUploadFormFields,
  chunkUploadPath,
  chunkUploadResponse,
  isCredentialRejection,
  isPermanentUploadRejection,
} from "../../shared/contracts/chunk-upload.ts";
import { describeZodError } from "../../shared/http/zod-issues.ts";

/**
 * stored    the core has the chunk (now, or from an earlier attempt whose answer was lost)
 * rejected  a retry cannot help: `device` (401/403, token or device refused: every chunk would
 *           fail the same way) or `chunk` (this chunk's fields, bytes or size are refused)
 * failed    worth retrying: network error, timeout, 5xx, 429, or an answer that breaks the contract
 */
export type UploadResult =
  | { kind: "stored"; response: ChunkUploadResponse }
  | { kind: "rejected"; scope: "device" | "chunk"; status: number; reason: string }
  | { kind: "failed"; status: number | null; reason: string };

export interface SendChunkOptions {
  baseUrl: string;
  token: string;
  request: ChunkUploadRequest;
  file: Uint8Array;
  fileName: string;
  signal: AbortSignal;
  timeoutMs: number;
}

export type SendChunk = (options: SendChunkOptions) => Promise<UploadResult>;

/** POST {ingest_base_url}/api/v1/chunks as the shared contract defines it. */
export async function sendChunk(options: SendChunkOptions): Promise<UploadResult> {
  const fields = chunkUploadFormFields(options.request);
  const ownCheck = chunkUploadFields.safeParse(fields);
  if (!ownCheck.success) {
    return { kind: "rejected", scope: "chunk", status: 0, reason: `not sent, the chunk breaks the upload contract: ${describeZodError(ownCheck.error)}` };
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set(chunkFileField, new Blob([options.file as Uint8Array<ArrayBuffer>], { type: "audio/ogg" }), options.fileName);

  let response: Response;
  try {
    response = await fetch(`${options.baseUrl}${chunkUploadPath}`, {
      method: "POST",
      headers: { authorization: `Bearer ${options.token}`, accept: "application/json" },
      body: form,
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
      redirect: "error",
    });
  } catch (error) {
    return { kind: "failed", status: null, reason: describeNetworkError(error) };
  }

  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { kind: "failed", status: response.status, reason: `${response.status} answer cut off: ${describeNetworkError(error)}` };
  }
  if (response.ok) {
    const parsed = chunkUploadResponse.safeParse(parseJson(text));
    if (parsed.success) return { kind: "stored", response: parsed.data };
    return { kind: "failed", status: response.status, reason: `${response.status} answer is not the contract's response: ${snippet(text)}` };
  }
  const reason = describeErrorAnswer(response.status, text);
  if (isCredentialRejection(response.status)) return { kind: "rejected", scope: "device", status: response.status, reason };
  if (isPermanentUploadRejection(response.status)) return { kind: "rejected", scope: "chunk", status: response.status, reason };
  return { kind: "failed", status: response.status, reason };
}

function describeErrorAnswer(status: number, text: string): string {
  const body = parseJson(text) as { error?: { code?: unknown; message?: unknown } } | null;
  if (body && typeof body === "object" && body.error && typeof body.error.code === "string") {
    return `${status} ${body.error.code}: ${typeof body.error.message === "string" ? body.error.message.slice(0, 300) : ""}`.trim();
  }
  return `${status}${text ? `: ${snippet(text)}` : ""}`;
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "the core did not answer in time";
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message.split(". ")[0]}` : error.message;
  }
  return String(error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
