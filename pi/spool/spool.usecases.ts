import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { syncDirectory, writeFileAtomic } from "../../shared/runtime/files.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import type { InputLevel } from "../recorder/input-level.ts";
import { audioDurationMs, inspectOggOpus, NotOggOpusError, repairOggOpus } from "../recorder/ogg-opus.ts";
import {
  absoluteChunkPath,
  type ChunkFileIdentity,
  chunkFileName,
  chunkRelativePath,
  fileNameOf,
  folderOf,
  parseChunkFileName,
  type SpoolLayout,
} from "./spool-layout.ts";
import type { SpoolLock } from "./spool-lock.ts";
import type { SpoolRepository } from "./spool.repository.ts";
import type { ChunkRow, ChunkState } from "./spool.schema.ts";

export interface SpoolDeps {
  repository: SpoolRepository;
  layout: SpoolLayout;
  lock: SpoolLock;
  clock: Clock;
  logger: Logger;
  measureLevel: (path: string) => Promise<InputLevel | null>;
}

/**
 * A chunk's id is derived from the recorder, the ffmpeg run and the segment number, so the same
 * segment registered twice (a power cut between writing its file and its row) is one chunk.
 * Formatted as a UUID (version 8, name-based with SHA-256).
 */
export function chunkIdFor(deviceId: string, sessionId: string, segmentIndex: number): string {
  const hash = createHash("sha256").update(`salescontrol-chunk\n${deviceId}\n${sessionId}\n${segmentIndex}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface SegmentToRegister {
  /** The `.part` file ffmpeg wrote. */
  partPath: string;
  chunkId: string;
  /** Wall-clock start, when known (null: derived from the file's modification time). */
  startTs: number | null;
  /** Wall-clock end from ffmpeg's segment list; null: start + audio length. */
  endTs: number | null;
  /** Recovered after a crash rather than handed over by a running ffmpeg. */
  salvaged: boolean;
}

/** More than this between a chunk's wall-clock span and its audio length means the clock moved. */
export const maxTimeDisagreementMs = 2_000;

export type RegisteredChunk = ChunkFileIdentity & { path: string; bytes: number; audioMs: number; level: InputLevel | null };

/**
 * Turns a finished (or cut-off) segment into a spooled chunk: repaired into a well-formed Ogg
 * Opus file, written atomically into outbox/, journaled as pending, then its `.part` removed.
 * Every step can be repeated after a crash without making a second chunk. Null when the segment
 * holds no audio (ffmpeg stopped right after opening it) or is not Ogg Opus at all.
 */
export async function registerSegment(deps: SpoolDeps, segment: SegmentToRegister): Promise<RegisteredChunk | null> {
  const original = new Uint8Array(await readFile(segment.partPath));
  let repaired: Uint8Array;
  let audioMs: number;
  try {
    const repair = repairOggOpus(original);
    repaired = repair.bytes;
    audioMs = Math.round(audioDurationMs(repair.info));
  } catch (error) {
    if (!(error instanceof NotOggOpusError)) throw error;
    deps.logger.warn("segment holds no Ogg Opus data; removed", { file: segment.partPath, bytes: original.length, reason: error.message });
    await removeDurably(segment.partPath);
    return null;
  }
  if (audioMs <= 0) {
    await removeDurably(segment.partPath);
    return null;
  }
  let startTs = segment.startTs;
  let endTs = segment.endTs;
  if (startTs === null) {
    endTs = Math.round((await stat(segment.partPath)).mtimeMs);
    startTs = endTs - audioMs;
  } else if (endTs === null || endTs <= startTs) {
    endTs = startTs + audioMs;
  } else if (Math.abs(endTs - startTs - audioMs) > maxTimeDisagreementMs) {
    // The wall clock jumped inside the chunk (a Pi without RTC syncing NTP): the end is the later, truer reading.
    deps.logger.warn("chunk times disagree with its audio; the clock changed while recording", { file: segment.partPath, spanMs: endTs - startTs, audioMs });
    startTs = endTs - audioMs;
  }
  const level = await deps.measureLevel(segment.partPath);
  const identity = { chunkId: segment.chunkId, startTs, endTs };
  const chunk: RegisteredChunk = { ...identity, path: chunkRelativePath("pending", chunkFileName(identity)), bytes: repaired.length, audioMs, level };

  return deps.lock.run(async () => {
    if ((await deps.repository.hasChunk(segment.chunkId)) === null) {
      await writeFileAtomic(absoluteChunkPath(deps.layout, chunk.path), repaired);
      await journalChunk(deps, chunk, sha256Hex(repaired), segment.salvaged);
    }
    await removeDurably(segment.partPath);
    return chunk;
  });
}

/** A pending row for a chunk file in outbox/, counted as recorded (and as salvaged after a crash). */
function journalChunk(deps: SpoolDeps, chunk: RegisteredChunk, sha256: string, salvaged: boolean): Promise<void> {
  return deps.repository.insertChunk(
    {
      id: chunk.chunkId,
      path: chunk.path,
      sha256,
      bytes: chunk.bytes,
      startTs: chunk.startTs,
      endTs: chunk.endTs,
      audioMs: chunk.audioMs,
      meanVolumeDb: chunk.level?.meanDb ?? null,
      maxVolumeDb: chunk.level?.maxDb ?? null,
      createdAt: deps.clock.now(),
    },
    salvaged ? ["recorded_total", "salvaged_total"] : ["recorded_total"],
  );
}

/** An unsent chunk whose file is gone: closed as discarded and counted, never sent. */
export async function recordLostChunk(deps: Pick<SpoolDeps, "repository" | "clock" | "logger">, row: Pick<ChunkRow, "id" | "path">): Promise<void> {
  await deps.repository.markDiscarded(row.id, { reason: "missing", at: deps.clock.now() });
  deps.logger.warn("unsent chunk file is missing; recorded as lost", { chunkId: row.id, path: row.path });
}

export interface ReconcileReport {
  adopted: number;
  moved: number;
  missing: number;
  strayRemoved: number;
  /** Files in outbox/ or sent/ that are not this recorder's chunks (other names, not Ogg Opus), oldest first. */
  foreign: ForeignFile[];
}

/** A file the recorder will never upload, yet it takes spool space: counted and cleaned like a chunk. */
export interface ForeignFile {
  /** Spool-relative, like a chunk's path. */
  path: string;
  bytes: number;
  modifiedAt: number;
}

/**
 * Makes the journal and the spool directories agree after a crash or a hand edit: files move to
 * the folder their row names, unknown complete chunks in outbox/ are adopted, rows whose file is
 * gone are closed (and counted when they were unsent), and leftovers of interrupted writes go.
 * Runs under the spool lock.
 */
export async function reconcileSpool(deps: SpoolDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { adopted: 0, moved: 0, missing: 0, strayRemoved: 0, foreign: [] };
  const known = new Map<string, ChunkState>();
  for (const row of await deps.repository.chunksWithFiles()) {
    known.set(row.id, row.state);
    const expected = absoluteChunkPath(deps.layout, row.path);
    if (existsSync(expected)) continue;
    const elsewhere = ["outbox", "sent"].map((folder) => absoluteChunkPath(deps.layout, `${folder}/${fileNameOf(row.path)}`)).find((path) => existsSync(path));
    if (elsewhere) {
      await moveDurably(elsewhere, expected);
      report.moved++;
      continue;
    }
    report.missing++;
    if (row.state === "uploaded") await deps.repository.forgetUploaded(row.id);
    else await recordLostChunk(deps, row);
  }

  for (const folder of ["outbox", "sent"] as const) {
    const directory = folder === "outbox" ? deps.layout.outboxDir : deps.layout.sentDir;
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (name.startsWith(".") && name.endsWith(".tmp")) {
        await rm(path, { force: true });
        report.strayRemoved++;
        continue;
      }
      const identity = parseChunkFileName(name);
      const foreign = () => {
        const stats = statSync(path);
        if (stats.isFile()) report.foreign.push({ path: `${folder}/${name}`, bytes: stats.size, modifiedAt: stats.mtimeMs });
      };
      if (!identity) {
        foreign();
        continue;
      }
      const state = known.get(identity.chunkId) ?? (await deps.repository.hasChunk(identity.chunkId));
      const expectedFolder = state ? folderOf(chunkRelativePath(state, name)) : null;
      if (state === "discarded" || (state !== null && expectedFolder !== folder) || (state === null && folder === "sent")) {
        // A copy the journal no longer wants: deleted or moved before a crash finished the job.
        await rm(path, { force: true });
        report.strayRemoved++;
      } else if (state === null && statSync(path).isFile()) {
        if (await adoptChunkFile(deps, path, identity)) report.adopted++;
        else foreign();
      }
    }
  }
  report.foreign.sort((a, b) => a.modifiedAt - b.modifiedAt);
  return report;
}

async function adoptChunkFile(deps: SpoolDeps, path: string, identity: ChunkFileIdentity): Promise<boolean> {
  const bytes = new Uint8Array(await readFile(path));
  let audioMs: number;
  try {
    audioMs = Math.round(audioDurationMs(inspectOggOpus(bytes)));
  } catch (error) {
    if (!(error instanceof NotOggOpusError)) throw error;
    deps.logger.warn("file in outbox/ is not Ogg Opus; never uploaded, cleaned like any spool file", { path });
    return false;
  }
  const level = await deps.measureLevel(path);
  const chunk: RegisteredChunk = { ...identity, path: chunkRelativePath("pending", fileNameOf(path)), bytes: bytes.length, audioMs, level };
  await journalChunk(deps, chunk, sha256Hex(bytes), true);
  deps.logger.info("adopted a chunk file written before a crash", { chunkId: identity.chunkId, path });
  return true;
}

/** Renames within the spool and makes the move survive a power cut. */
export async function moveDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
  if (dirname(from) !== dirname(to)) await syncDirectory(dirname(from));
}

export async function removeDurably(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDirectory(dirname(path));
}
