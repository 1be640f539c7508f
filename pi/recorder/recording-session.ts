import { existsSync, readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../shared/log/logger.ts";
import { writeFileAtomic } from "../../shared/runtime/files.ts";
import type { SpoolLayout } from "../spool/spool-layout.ts";
import { chunkIdFor, type RegisteredChunk, type SegmentToRegister } from "../spool/spool.usecases.ts";
import { parseSegmentList, segmentFilePattern, segmentListName } from "./ffmpeg-command.ts";

/** What a run of ffmpeg leaves beside its segments, so another process can finish its work. */
export interface SessionInfo {
  sessionId: string;
  pid: number | null;
  input: string;
  startedAt: number;
  /** Wall-clock time of the run's first sample, once known. */
  anchorMs: number | null;
}

export const sessionFileName = "session.json";
/** A finished segment whose anchored end is further than this from the wall clock means the clock was set. */
const clockJumpMs = 10_000;

export interface SessionDeps {
  deviceId: string;
  logger: Logger;
  registerSegment: (segment: SegmentToRegister) => Promise<RegisteredChunk | null>;
  onChunk?: (chunk: RegisteredChunk) => void;
}

/** Tracks which segments of one run were handed over, so each is registered once and in order. */
export class SessionSegments {
  readonly #processed = new Set<string>();
  readonly #openedAt = new Map<number, number>();
  #lastEndMs: number | null = null;

  constructor(
    readonly dir: string,
    readonly info: SessionInfo,
    readonly deps: SessionDeps,
  ) {}

  get count(): number {
    return this.#processed.size;
  }

  /** Segments still on disk that are not registered (a registration failed). */
  unregistered(): string[] {
    return readdirSync(this.dir).filter((name) => segmentFilePattern.test(name) && !this.#processed.has(name));
  }

  /** Notes when ffmpeg opened a segment: the wall-clock moment the previous one ended. */
  observeOpened(fileName: string, at: number): void {
    const index = segmentFilePattern.exec(fileName)?.[1];
    if (index !== undefined) this.#openedAt.set(Number(index), at);
  }

  /**
   * Registers every segment ffmpeg has listed as complete and that is not registered yet. When the
   * anchored end of a segment is far from the moment ffmpeg moved on to the next one, the wall
   * clock was set (NTP after a boot without RTC): the run is re-anchored to the new time.
   */
  async registerListed(): Promise<RegisteredChunk[]> {
    const listPath = join(this.dir, segmentListName);
    if (!existsSync(listPath)) return [];
    const registered: RegisteredChunk[] = [];
    for (const segment of parseSegmentList(readFileSync(listPath, "utf8"))) {
      if (this.#processed.has(segment.fileName)) continue;
      let anchor = this.info.anchorMs ?? this.info.startedAt;
      const endMs = Math.round(segment.endSeconds * 1000);
      const endedAt = this.#openedAt.get(Number(segmentFilePattern.exec(segment.fileName)![1]) + 1);
      if (endedAt !== undefined && Math.abs(anchor + endMs - endedAt) > clockJumpMs) {
        this.deps.logger.warn("the wall clock moved while recording; chunk times follow it", { jumpMs: endedAt - (anchor + endMs), session: this.info.sessionId });
        anchor = endedAt - endMs;
        this.info.anchorMs = anchor;
      }
      const chunk = await this.#register(segment.fileName, anchor + Math.round(segment.startSeconds * 1000), anchor + endMs, false);
      if (chunk) registered.push(chunk);
    }
    return registered;
  }

  /** After ffmpeg is gone: the segment it was writing when it died, continuing where the last ended. */
  async registerCutOff(): Promise<RegisteredChunk[]> {
    const registered: RegisteredChunk[] = [];
    const leftovers = readdirSync(this.dir)
      .filter((name) => segmentFilePattern.test(name) && !this.#processed.has(name))
      .sort();
    for (const name of leftovers) {
      const start = this.#lastEndMs ?? (this.#processed.size === 0 ? this.info.anchorMs : null);
      const chunk = await this.#register(name, start, null, true);
      if (chunk) registered.push(chunk);
    }
    return registered;
  }

  async #register(fileName: string, startTs: number | null, endTs: number | null, salvaged: boolean): Promise<RegisteredChunk | null> {
    const partPath = join(this.dir, fileName);
    if (!existsSync(partPath)) {
      this.#processed.add(fileName);
      return null;
    }
    const index = Number(segmentFilePattern.exec(fileName)![1]);
    // Only a registration that went through marks the segment done: a failed one is tried again.
    const chunk = await this.deps.registerSegment({ partPath, chunkId: chunkIdFor(this.deps.deviceId, this.info.sessionId, index), startTs, endTs, salvaged });
    this.#processed.add(fileName);
    if (chunk) {
      this.#lastEndMs = chunk.endTs;
      this.deps.onChunk?.(chunk);
      this.deps.logger.info(salvaged ? "cut-off chunk recovered" : "chunk recorded", {
        chunkId: chunk.chunkId,
        startTs: new Date(chunk.startTs).toISOString(),
        audioMs: chunk.audioMs,
        bytes: chunk.bytes,
        maxVolumeDb: chunk.level?.maxDb,
      });
    }
    return chunk;
  }
}

export async function writeSessionInfo(dir: string, info: SessionInfo): Promise<void> {
  await writeFileAtomic(join(dir, sessionFileName), `${JSON.stringify(info)}\n`);
}

export function readSessionInfo(dir: string, fallbackId: string): SessionInfo {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, sessionFileName), "utf8")) as Partial<SessionInfo>;
    return {
      sessionId: typeof parsed.sessionId === "string" ? parsed.sessionId : fallbackId,
      pid: typeof parsed.pid === "number" ? parsed.pid : null,
      input: typeof parsed.input === "string" ? parsed.input : "unknown",
      startedAt: typeof parsed.startedAt === "number" ? parsed.startedAt : 0,
      anchorMs: typeof parsed.anchorMs === "number" ? parsed.anchorMs : null,
    };
  } catch {
    return { sessionId: fallbackId, pid: null, input: "unknown", startedAt: 0, anchorMs: null };
  }
}

/**
 * Finishes the runs left in recording/ (power cut, SIGKILL, a registration that failed), except
 * the one recording now: an ffmpeg that outlived its parent is stopped first, then every segment
 * is registered, the cut-off one repaired. Returns the chunks recovered.
 */
export async function recoverInterruptedSessions(layout: SpoolLayout, deps: SessionDeps, activeDir: string | null = null): Promise<RegisteredChunk[]> {
  if (!existsSync(layout.recordingDir)) return [];
  const recovered: RegisteredChunk[] = [];
  for (const name of readdirSync(layout.recordingDir).sort()) {
    const dir = join(layout.recordingDir, name);
    if (dir === activeDir) continue;
    try {
      const info = readSessionInfo(dir, name);
      if (info.pid !== null) await stopOrphanedRecorder(info.pid, dir, deps.logger);
      const segments = new SessionSegments(dir, info, deps);
      recovered.push(...(await segments.registerListed()), ...(await segments.registerCutOff()));
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      // Left in place for the next start; recording must go on meanwhile.
      deps.logger.error("could not recover an interrupted recording", { dir, error });
    }
  }
  return recovered;
}

/** Stops an ffmpeg still writing into `dir` after its agent died, the way a clean stop would. */
export async function stopOrphanedRecorder(pid: number, dir: string, logger: Logger): Promise<void> {
  const isOurs = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir);
    } catch {
      return false;
    }
  };
  if (!isOurs()) return;
  logger.warn("an ffmpeg from a previous run is still recording; stopping it", { pid });
  for (const [signal, waitMs] of [["SIGINT", 10_000], ["SIGKILL", 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let waited = 0; waited < waitMs && isOurs(); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!isOurs()) return;
  }
}
