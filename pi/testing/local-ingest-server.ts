import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  type ChunkUploadFields,
  type ChunkUploadResponse,
  chunkFileField,
  chunkUploadErrorCodes,
  chunkUploadFields,
  chunkUploadPath,
  maxChunkBytes,
  maxClockSkewSeconds,
} from "../../shared/contracts/chunk-upload.ts";
import { bearerTokenOf, tokensMatch } from "../../shared/http/bearer-token.ts";
import { describeZodError } from "../../shared/http/zod-issues.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { inspectOggOpus } from "../recorder/ogg-opus.ts";

/**
 * up               answers as the core does
 * down             not listening at all (connection refused)
 * flaky            answers 500 before storing, for a share of requests
 * drop-after-body  reads and stores the chunk, then closes the connection without an answer,
 *                  for a share of requests (the recorder never learns it was stored)
 * slow             stores the chunk, then waits before answering
 */
export type IngestMode =
  | { kind: "up" }
  | { kind: "down" }
  | { kind: "flaky"; failureRate: number }
  | { kind: "drop-after-body"; failureRate: number }
  | { kind: "slow"; delayMs: number }
  /** The core's disk is at its free-space reserve: 507 ingest.storage_full after authentication. */
  | { kind: "storage-full" };

export interface StoredChunk {
  chunkId: string;
  fields: ChunkUploadFields;
  bytes: Uint8Array;
  sha256: string;
  fileName: string;
  receivedAt: number;
}

export interface LocalIngestServer {
  readonly url: string;
  readonly port: number;
  setMode(mode: IngestMode): Promise<void>;
  /** Chunks stored, in the order they first arrived. */
  stored(): StoredChunk[];
  /** Every request that reached the handler (including refused and failed ones). */
  requestCount(): number;
  /** Re-sends recognised by chunk_id and answered with `duplicate: true` or dropped again. */
  duplicateCount(): number;
  /** Requests answered with an error status, by status. */
  errorCounts(): Record<number, number>;
  waitFor(description: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalIngestOptions {
  /** device token → the device_id it belongs to. */
  devices: Record<string, string>;
  mode?: IngestMode;
  port?: number;
  /** Seed of the deterministic coin that flaky and drop modes toss. */
  seed?: number;
}

/**
 * An ingest endpoint implementing the shared chunk-upload contract (shared/contracts/chunk-upload.ts)
 * the way the core does: bearer device tokens, multipart validation, checksum, Ogg Opus check, and
 * deduplication by chunk_id. The failure modes reproduce what a recorder meets in the field; the
 * real core's ingest is exercised by scripts/recorder-core.test.ts.
 */
export async function startLocalIngestServer(options: LocalIngestOptions): Promise<LocalIngestServer> {
  let mode: IngestMode = options.mode ?? { kind: "up" };
  const stored = new Map<string, StoredChunk>();
  const errorCounts: Record<number, number> = {};
  let requests = 0;
  let duplicates = 0;
  let coin = options.seed ?? 42;
  const toss = (rate: number) => {
    coin = (Math.imul(coin ^ (coin >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return coin / 2 ** 32 < rate;
  };

  const handle = async (request: IngestRequest): Promise<IngestAnswer> => {
    requests++;
    if (request.method !== "POST" || request.path !== chunkUploadPath) return error(404, "route.not_found", `no route for ${request.method} ${request.path}`);
    if (mode.kind === "flaky" && toss(mode.failureRate)) return error(500, "internal", "simulated failure");
    const token = bearerTokenOf(request.headers.authorization ?? null);
    if (!token) return error(401, chunkUploadErrorCodes.missingToken, "Authorization: Bearer <device token> is required");
    const deviceId = Object.entries(options.devices).find(([known]) => tokensMatch(token, known))?.[1];
    if (!deviceId) return error(401, chunkUploadErrorCodes.invalidToken, "unknown device token");
    if (request.body.length > maxChunkBytes + 64 * 1024) return error(413, chunkUploadErrorCodes.tooLarge, "chunk too large");
    if (mode.kind === "storage-full") return error(507, chunkUploadErrorCodes.storageFull, "the core's audio storage is at its reserve: keep the chunk and retry later");

    let form: Awaited<ReturnType<Request["formData"]>>;
    try {
      form = await new Request("http://ingest.local/", { method: "POST", headers: { "content-type": request.headers["content-type"] ?? "" }, body: request.body }).formData();
    } catch {
      return error(400, chunkUploadErrorCodes.malformedMultipart, "body is not multipart/form-data");
    }
    const textFields: Record<string, string> = {};
    for (const [name, value] of form.entries()) if (typeof value === "string") textFields[name] = value;
    const parsed = chunkUploadFields.safeParse(textFields);
    if (!parsed.success) return error(400, chunkUploadErrorCodes.invalidField, describeZodError(parsed.error));
    const fields = parsed.data;
    if (fields.device_id !== deviceId) return error(403, chunkUploadErrorCodes.deviceMismatch, "device_id does not belong to this token");
    if (fields.end_ts > Date.now() + maxClockSkewSeconds * 1000) return error(425, chunkUploadErrorCodes.clockAhead, "end_ts lies in the future");
    const file = form.get(chunkFileField);
    if (!(file instanceof Blob)) return error(400, chunkUploadErrorCodes.missingFile, `the ${chunkFileField} file is missing`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (!isWholeOggOpus(bytes)) return error(422, chunkUploadErrorCodes.notOggOpus, `${chunkFileField} is not an Ogg Opus file`);
    const sha256 = sha256Hex(bytes);
    if (fields.sha256 && fields.sha256 !== sha256) return error(422, chunkUploadErrorCodes.checksumMismatch, "sha256 does not match the file");

    const chunkId = fields.chunk_id ?? randomUUID();
    const existing = stored.get(chunkId);
    if (existing && existing.sha256 !== sha256) return error(409, chunkUploadErrorCodes.chunkConflict, "chunk_id already stored with other content");
    if (existing) duplicates++;
    else stored.set(chunkId, { chunkId, fields, bytes, sha256, fileName: file instanceof File ? file.name : "", receivedAt: Date.now() });
    const body: ChunkUploadResponse = { status: "ok", chunk_id: chunkId, stored_path: `${fields.point_id}/${chunkId}.ogg`, queued: true, duplicate: existing !== undefined };
    if (mode.kind === "drop-after-body" && toss(mode.failureRate)) return { drop: true };
    if (mode.kind === "slow") await new Promise((resolve) => setTimeout(resolve, (mode as Extract<IngestMode, { kind: "slow" }>).delayMs));
    return { status: 200, body };
  };

  const error = (status: number, code: string, message: string): IngestAnswer => {
    errorCounts[status] = (errorCounts[status] ?? 0) + 1;
    return { status, body: { error: { code, message, requestId: randomUUID() } } };
  };

  let server: Server | null = null;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const created = createServer((incoming, outgoing) => void serve(incoming, outgoing, handle));
      created.once("error", reject);
      created.listen(port, "127.0.0.1", () => {
        server = created;
        resolve((created.address() as { port: number }).port);
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      const current = server;
      server = null;
      if (!current) return resolve();
      current.closeAllConnections();
      current.close(() => resolve());
    });

  const port = await listen(options.port ?? 0);
  if (mode.kind === "down") await close();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async setMode(next) {
      mode = next;
      if (next.kind === "down") await close();
      else if (!server) await listen(port);
    },
    stored: () => [...stored.values()],
    requestCount: () => requests,
    duplicateCount: () => duplicates,
    errorCounts: () => ({ ...errorCounts }),
    waitFor: (description, predicate, timeoutMs = 30_000) =>
      waitUntil(description, predicate, timeoutMs, 50).catch((error: Error) => {
        throw new Error(`${error.message} (stored ${stored.size}, requests ${requests})`);
      }),
    stop: close,
  };
}

interface IngestRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: Uint8Array;
}

type IngestAnswer = { status: number; body: unknown } | { drop: true };

async function serve(incoming: IncomingMessage, outgoing: ServerResponse, handle: (request: IngestRequest) => Promise<IngestAnswer>): Promise<void> {
  const parts: Buffer[] = [];
  for await (const part of incoming) parts.push(part as Buffer);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(incoming.headers)) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  const answer = await handle({ method: incoming.method ?? "GET", path: (incoming.url ?? "/").split("?")[0]!, headers, body: new Uint8Array(Buffer.concat(parts)) });
  if ("drop" in answer) {
    incoming.socket.destroy();
    return;
  }
  outgoing.writeHead(answer.status, { "content-type": "application/json" });
  outgoing.end(JSON.stringify(answer.body));
}

function isWholeOggOpus(bytes: Uint8Array): boolean {
  try {
    return inspectOggOpus(bytes).complete;
  } catch {
    return false;
  }
}
