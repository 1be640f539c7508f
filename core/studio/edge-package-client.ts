import { open, stat } from "node:fs/promises";
import type { z } from "zod";
import {
  campaignPackagesPath,
  edgeServedCampaignSchema,
  type PushedImportStatus,
  pushedImportStartedSchema,
  pushedImportStatusSchema,
} from "../../shared/contracts/campaign-package-push.ts";
import { AppError } from "../../shared/http/app-error.ts";

/**
 * The core's side of shared/contracts/campaign-package-push.ts: an edge's machine import endpoint,
 * called with the API key made on that edge. Every way the edge can fail us is an AppError with its
 * own code (unreachable, key refused, refused with the edge's own code, an answer that is no edge's).
 */
export interface EdgeTarget {
  name: string;
  /** The edge's base URL, without a trailing slash. */
  url: string;
  apiKey: string;
}

const answerTimeoutMs = 15_000;
const filePieceBytes = 256 * 1024;

/** Checks the key and learns what the edge serves and how large a package it takes. */
export async function askEdge(target: EdgeTarget): Promise<z.infer<typeof edgeServedCampaignSchema>> {
  const response = await callEdge(target, campaignPackagesPath, { signal: AbortSignal.timeout(answerTimeoutMs) });
  return readAnswer(target, response, edgeServedCampaignSchema);
}

/** Streams the package file to the edge in pieces (never the whole package in memory); the edge answers with its import's id. */
export async function pushPackageFile(target: EdgeTarget, file: { path: string; fileName: string }): Promise<number> {
  const { size } = await stat(file.path);
  const body = fileStream(file.path);
  try {
    const response = await callEdge(target, campaignPackagesPath, {
      method: "POST",
      headers: { "content-type": "application/zip", "content-length": String(size), "x-file-name": encodeURIComponent(file.fileName) },
      body: body.stream,
      duplex: "half",
    } as RequestInit);
    return (await readAnswer(target, response, pushedImportStartedSchema)).import_id;
  } finally {
    // An edge that answers before taking the whole body (a refused key) leaves the file open otherwise.
    await body.close();
  }
}

export async function edgeImportStatus(target: EdgeTarget, importId: number): Promise<PushedImportStatus> {
  const response = await callEdge(target, `${campaignPackagesPath}/${importId}`, { signal: AbortSignal.timeout(answerTimeoutMs) });
  return readAnswer(target, response, pushedImportStatusSchema);
}

async function callEdge(target: EdgeTarget, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(`${target.url}${path}`, { ...init, redirect: "manual", headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${target.apiKey}` } });
  } catch (error) {
    throw new AppError("studio.edge_unreachable", 502, `edge "${target.name}" at ${target.url} cannot be reached: ${(error as Error).message}; check that it runs and that its address is right`);
  }
}

async function readAnswer<S extends z.ZodType>(target: EdgeTarget, response: Response, schema: S): Promise<z.output<S>> {
  const text = await response.text().catch(() => "");
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: judged below, as an answer that is not an edge's.
  }
  if (response.ok) {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw notAnEdge(target, response.status);
  }
  const edgeError = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof edgeError?.code !== "string" || typeof edgeError.message !== "string") throw notAnEdge(target, response.status);
  const details = { edge_status: response.status, edge_error: { code: edgeError.code, message: edgeError.message } };
  if (response.status === 401) {
    throw new AppError(
      "studio.edge_key_refused",
      502,
      `edge "${target.name}" refused the API key (${edgeError.code}); make a key there with salescontrol-edge api-key add <name> and register the edge again`,
      details,
    );
  }
  throw new AppError("studio.edge_refused", 502, `edge "${target.name}" refused: ${edgeError.message} (${edgeError.code})`, details);
}

function notAnEdge(target: EdgeTarget, status: number): AppError {
  return new AppError("studio.edge_bad_answer", 502, `${target.url} answered ${status} with something that is not a SalesControl edge's answer; check the edge's address`, { edge_status: status });
}

/** A file as a request body, read a piece at a time as the connection takes it; `close` ends it early. */
function fileStream(path: string): { stream: ReadableStream<Uint8Array>; close(): Promise<void> } {
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  let closed = false;
  const close = async () => {
    closed = true;
    const current = handle;
    handle = null;
    await current?.close().catch(() => {});
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!handle) {
        const opened = await open(path, "r");
        if (closed) await opened.close();
        else handle = opened;
      }
      if (closed || !handle) return controller.close();
      const piece = new Uint8Array(filePieceBytes);
      const { bytesRead } = await handle.read(piece, 0, piece.length, null);
      if (bytesRead === 0) {
        await close();
        controller.close();
        return;
      }
      controller.enqueue(piece.subarray(0, bytesRead));
    },
    cancel: close,
  });
  return { stream, close };
}
