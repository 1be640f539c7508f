import { readFile } from "node:fs/promises";
import { isCoreStorageFull } from "../../shared/contracts/chunk-upload.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { TickOutcome } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { absoluteChunkPath, chunkRelativePath, fileNameOf, type SpoolLayout } from "../spool/spool-layout.ts";
import type { SpoolLock } from "../spool/spool-lock.ts";
import type { SpoolRepository } from "../spool/spool.repository.ts";
import type { ChunkRow } from "../spool/spool.schema.ts";
import { moveDurably, recordLostChunk } from "../spool/spool.usecases.ts";
import { type SendChunk, sendChunk } from "./chunk-upload.client.ts";

export interface UploaderSettings {
  ingestBaseUrl: string;
  ingestToken: string;
  pointId: string;
  registerId: string;
  deviceId: string;
  sampleRate: number;
  /** While the core refuses the device (401/403), the queue is held and probed this often. */
  deviceRejectionRetryMs: number;
}

export interface UploaderDeps {
  repository: SpoolRepository;
  layout: SpoolLayout;
  lock: SpoolLock;
  clock: Clock;
  logger: Logger;
  settings: UploaderSettings;
  send?: SendChunk;
  requestTimeoutMs?: number;
}

/**
 * 5xx answers to one chunk before it is set aside as rejected (about 8 h at a 300 s cap). Network
 * failures in between do not reset the count: the oldest chunk holds up every other one.
 */
export const maxServerFailuresPerChunk = 100;

export interface UploaderStatus {
  /** Why the core refuses this device, while it does. */
  blocked: { reason: string; since: number; nextAttemptAt: number } | null;
  lastRejection: { chunkId: string; reason: string; at: number } | null;
  inFlightChunkId: string | null;
}

export interface Uploader {
  /** One step of the upload loop: sends the oldest pending chunk. Throws on a retryable failure. */
  tick(signal: AbortSignal): Promise<TickOutcome>;
  status(): UploaderStatus;
  inFlightChunkId(): string | null;
}

export class RetryableUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RetryableUploadError";
  }
}

/**
 * The uploader: oldest chunk first, one at a time, so the core receives a recorder's chunks in
 * order. A chunk is marked uploaded only after the core confirms it; a confirmation that was lost
 * leads to a re-send that the core recognises by chunk_id.
 */
export function createUploader(deps: UploaderDeps): Uploader {
  const send = deps.send ?? sendChunk;
  const timeoutMs = deps.requestTimeoutMs ?? 120_000;
  const status: UploaderStatus = { blocked: null, lastRejection: null, inFlightChunkId: null };

  const uploadOne = async (chunk: ChunkRow, signal: AbortSignal): Promise<TickOutcome> => {
    let file: Uint8Array;
    try {
      file = new Uint8Array(await readFile(absoluteChunkPath(deps.layout, chunk.path)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await deps.lock.run(() => recordLostChunk(deps, chunk));
      return "busy";
    }

    status.inFlightChunkId = chunk.id;
    const result = await send({
      baseUrl: deps.settings.ingestBaseUrl,
      token: deps.settings.ingestToken,
      request: {
        pointId: deps.settings.pointId,
        registerId: deps.settings.registerId,
        deviceId: deps.settings.deviceId,
        startTs: chunk.startTs,
        endTs: chunk.endTs,
        sampleRate: deps.settings.sampleRate,
        channels: 1,
        chunkId: chunk.id,
        sha256: chunk.sha256,
      },
      file,
      fileName: fileNameOf(chunk.path),
      signal,
      timeoutMs,
    }).finally(() => {
      status.inFlightChunkId = null;
    });
    if (signal.aborted) return "idle";
    const now = deps.clock.now();

    if (result.kind === "stored") {
      const sentPath = chunkRelativePath("uploaded", fileNameOf(chunk.path));
      await deps.lock.run(async () => {
        if (!(await deps.repository.markUploaded(chunk.id, { path: sentPath, uploadedAt: now, storedPath: result.response.stored_path }))) return;
        await moveDurably(absoluteChunkPath(deps.layout, chunk.path), absoluteChunkPath(deps.layout, sentPath));
      });
      if (status.blocked) deps.logger.info("the core accepts this device again", { blockedFor: status.blocked.reason });
      status.blocked = null;
      deps.logger.info("chunk uploaded", { chunkId: chunk.id, startTs: new Date(chunk.startTs).toISOString(), bytes: chunk.bytes, duplicate: result.response.duplicate });
      return "busy";
    }

    if (result.kind === "rejected" && result.scope === "chunk") {
      await deps.lock.run(() => deps.repository.markRejected(chunk.id, result.reason));
      status.lastRejection = { chunkId: chunk.id, reason: result.reason, at: now };
      deps.logger.error("the core rejected a chunk; it stays in the spool and is not retried", { chunkId: chunk.id, reason: result.reason });
      return "busy";
    }

    if (result.kind === "rejected") {
      await deps.repository.recordUploadFailure(chunk.id, { error: result.reason, serverFailure: false });
      if (!status.blocked) deps.logger.error("the core refuses this device; uploads are held until it accepts it", { reason: result.reason });
      status.blocked = { reason: result.reason, since: status.blocked?.since ?? now, nextAttemptAt: now + deps.settings.deviceRejectionRetryMs };
      return "idle";
    }

    // A full disk on the core (507) is "retry later": it never counts towards setting the chunk aside.
    const serverFailure = result.status !== null && result.status >= 500 && !isCoreStorageFull(result.status);
    const counts = await deps.repository.recordUploadFailure(chunk.id, { error: result.reason, serverFailure });
    if (counts && counts.serverFailures >= maxServerFailuresPerChunk) {
      const reason = `set aside after ${counts.serverFailures} server errors; last: ${result.reason}`;
      await deps.lock.run(() => deps.repository.markRejected(chunk.id, reason));
      status.lastRejection = { chunkId: chunk.id, reason, at: now };
      deps.logger.error("the core keeps failing on one chunk; it is set aside so the others can go", { chunkId: chunk.id, reason });
    }
    throw new RetryableUploadError(result.reason);
  };

  return {
    async tick(signal) {
      if (status.blocked && status.blocked.nextAttemptAt > deps.clock.now()) return "idle";
      const chunk = await deps.repository.nextPendingChunk();
      if (!chunk) return "idle";
      return uploadOne(chunk, signal);
    },
    status: () => ({ ...status }),
    inFlightChunkId: () => status.inFlightChunkId,
  };
}
