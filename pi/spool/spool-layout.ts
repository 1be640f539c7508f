import { mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { uuidPattern } from "../../shared/contracts/identifiers.ts";
import { resolveInside } from "../../shared/runtime/safe-path.ts";
import type { ChunkState } from "./spool.schema.ts";

/**
 * The spool directory:
 *   recording/<session>/   what ffmpeg is writing now (never touched by the janitor)
 *   outbox/                complete chunks not yet accepted by the core
 *   sent/                  chunks the core stored, kept until the space is needed
 */
export interface SpoolLayout {
  root: string;
  recordingDir: string;
  outboxDir: string;
  sentDir: string;
}

export function spoolLayout(root: string): SpoolLayout {
  return { root, recordingDir: join(root, "recording"), outboxDir: join(root, "outbox"), sentDir: join(root, "sent") };
}

export function ensureSpoolDirectories(layout: SpoolLayout): void {
  for (const directory of [layout.recordingDir, layout.outboxDir, layout.sentDir]) mkdirSync(directory, { recursive: true, mode: 0o750 });
}

/** The spool-relative path a chunk in this state lives at. */
export function chunkRelativePath(state: ChunkState, fileName: string): string {
  return `${state === "uploaded" ? "sent" : "outbox"}/${fileName}`;
}

export function absoluteChunkPath(layout: SpoolLayout, relativePath: string): string {
  return resolveInside(layout.root, relativePath);
}

export function fileNameOf(relativePath: string): string {
  return basename(relativePath);
}

export function folderOf(relativePath: string): string {
  return dirname(relativePath);
}

export interface ChunkFileIdentity {
  chunkId: string;
  startTs: number;
  endTs: number;
}

/**
 * `20260115T090000.000Z_20260115T090100.000Z_<chunk id>.ogg`: sorts by time in `ls`, and carries
 * the chunk's identity so a file whose row was never written (power cut) is adopted unchanged.
 */
export function chunkFileName(identity: ChunkFileIdentity): string {
  return `${compactTimestamp(identity.startTs)}_${compactTimestamp(identity.endTs)}_${identity.chunkId}.ogg`;
}

export function parseChunkFileName(fileName: string): ChunkFileIdentity | null {
  const match = /^(\d{8}T\d{6}\.\d{3}Z)_(\d{8}T\d{6}\.\d{3}Z)_([0-9a-f-]{36})\.ogg$/.exec(fileName);
  if (!match || !uuidPattern.test(match[3]!)) return null;
  const startTs = parseCompactTimestamp(match[1]!);
  const endTs = parseCompactTimestamp(match[2]!);
  if (Number.isNaN(startTs) || Number.isNaN(endTs) || endTs <= startTs) return null;
  return { chunkId: match[3]!, startTs, endTs };
}

function compactTimestamp(epochMillis: number): string {
  return new Date(epochMillis).toISOString().replace(/[-:]/g, "");
}

function parseCompactTimestamp(text: string): number {
  const iso = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13)}`;
  return Date.parse(iso);
}
