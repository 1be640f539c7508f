import { statfsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { absoluteChunkPath } from "./spool-layout.ts";
import type { JanitorCandidate } from "./spool.repository.ts";
import { type ForeignFile, type ReconcileReport, reconcileSpool, type SpoolDeps } from "./spool.usecases.ts";

export interface DiskSpace {
  totalBytes: number;
  freeBytes: number;
}

export interface JanitorOptions {
  maxSpoolDays: number;
  maxSpoolBytes: number;
  /** The chunk the uploader is sending right now: never deleted under its feet. */
  inFlightChunkId: () => string | null;
  /** Space on the spool's filesystem; null when it cannot be read. */
  diskSpace?: (path: string) => DiskSpace | null;
}

export interface JanitorReport {
  deletedUploaded: number;
  deletedUnsent: number;
  /** Files that are not this recorder's chunks, deleted by age or quota like unsent chunks. */
  deletedForeign: number;
  freedBytes: number;
  /** Such files still in the spool after the pass; they count in the quota. */
  foreignFiles: number;
  foreignBytes: number;
  /** The size the spool was brought under (the quota, or less when the disk is nearly full). */
  limitBytes: number;
  reconcile: ReconcileReport;
}

/** Free space always left on the spool's filesystem for the database, logs and the system. */
export function diskReserveBytes(totalBytes: number): number {
  return Math.min(1024 ** 3, Math.floor(totalBytes * 0.05));
}

/** The size the spool must stay under: the quota, or less when the disk could not hold that much. */
export function spoolLimitBytes(maxSpoolBytes: number, spoolBytes: number, disk: DiskSpace | null): number {
  if (!disk) return maxSpoolBytes;
  return Math.min(maxSpoolBytes, Math.max(0, spoolBytes + disk.freeBytes - diskReserveBytes(disk.totalBytes)));
}

export function readDiskSpace(path: string): DiskSpace | null {
  try {
    const stats = statfsSync(path);
    return { totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bavail * stats.bsize };
  } catch {
    return null;
  }
}

/**
 * One pass of the spool janitor: reconcile files and journal, delete chunks older than
 * max_spool_days, then bring the spool under its quota (and under what the disk can hold):
 * uploaded chunks first, oldest first; only then unsent ones, oldest first, each one logged
 * and counted. What ffmpeg is writing lives in recording/ and is never considered.
 */
export async function runJanitorPass(deps: SpoolDeps, options: JanitorOptions): Promise<JanitorReport> {
  return deps.lock.run(async () => {
    const reconcile = await reconcileSpool(deps);
    const report: JanitorReport = {
      deletedUploaded: 0,
      deletedUnsent: 0,
      deletedForeign: 0,
      freedBytes: 0,
      foreignFiles: 0,
      foreignBytes: 0,
      limitBytes: options.maxSpoolBytes,
      reconcile,
    };
    const inFlight = options.inFlightChunkId();
    const remove = async (chunk: JanitorCandidate, reason: "age" | "quota") => {
      if (chunk.id === inFlight) return false;
      const removed = await deleteChunk(deps, chunk, reason);
      if (!removed) return false;
      report.freedBytes += chunk.bytes;
      if (chunk.state === "uploaded") report.deletedUploaded++;
      else report.deletedUnsent++;
      return true;
    };

    const foreign = [...reconcile.foreign];
    const removeForeign = async (file: ForeignFile, reason: "age" | "quota") => {
      foreign.splice(foreign.indexOf(file), 1);
      await rm(absoluteChunkPath(deps.layout, file.path), { force: true });
      deps.logger.warn("deleted a spool file that is not one of this recorder's chunks", { path: file.path, reason, bytes: file.bytes, modifiedAt: new Date(file.modifiedAt).toISOString() });
      report.deletedForeign++;
      report.freedBytes += file.bytes;
    };

    const cutoff = deps.clock.now() - options.maxSpoolDays * 86_400_000;
    for (const chunk of await deps.repository.chunksStartedBefore(cutoff)) await remove(chunk, "age");
    for (const file of foreign.filter((candidate) => candidate.modifiedAt < cutoff)) await removeForeign(file, "age");

    const foreignBytes = () => foreign.reduce((sum, file) => sum + file.bytes, 0);
    let bytes = (await deps.repository.totals()).bytes + foreignBytes();
    report.limitBytes = spoolLimitBytes(options.maxSpoolBytes, bytes, (options.diskSpace ?? readDiskSpace)(deps.layout.root));
    for (const kind of ["uploaded", "unsent"] as const) {
      while (bytes > report.limitBytes) {
        const batch = (await deps.repository.oldestChunks(kind, 50)).filter((chunk) => chunk.id !== inFlight);
        // A foreign file is unsent data too: it goes in its turn, oldest first among the unsent.
        const olderForeign = (startTs: number) => kind === "unsent" && foreign.length > 0 && foreign[0]!.modifiedAt <= startTs;
        if (olderForeign(batch[0]?.startTs ?? Number.POSITIVE_INFINITY)) {
          bytes -= foreign[0]!.bytes;
          await removeForeign(foreign[0]!, "quota");
          continue;
        }
        if (batch.length === 0) break;
        for (const chunk of batch) {
          if (bytes <= report.limitBytes || olderForeign(chunk.startTs)) break;
          if (await remove(chunk, "quota")) bytes -= chunk.bytes;
        }
      }
    }
    report.foreignFiles = foreign.length;
    report.foreignBytes = foreignBytes();
    return report;
  });
}

/** Journal first, then the file: a crash in between leaves a stray file the next pass removes. */
async function deleteChunk(deps: SpoolDeps, chunk: JanitorCandidate, reason: "age" | "quota"): Promise<boolean> {
  const recorded =
    chunk.state === "uploaded"
      ? await deps.repository.forgetUploaded(chunk.id)
      : await deps.repository.markDiscarded(chunk.id, { reason, at: deps.clock.now() });
  if (!recorded) return false;
  await rm(absoluteChunkPath(deps.layout, chunk.path), { force: true });
  if (chunk.state !== "uploaded") {
    deps.logger.warn("deleted an unsent chunk to free the spool", {
      chunkId: chunk.id,
      reason,
      startTs: new Date(chunk.startTs).toISOString(),
      endTs: new Date(chunk.endTs).toISOString(),
      bytes: chunk.bytes,
    });
  }
  return true;
}
