import { readFile, rm } from "node:fs/promises";
import { writeFileAtomic } from "../../shared/runtime/files.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { resolveInside } from "../../shared/runtime/safe-path.ts";

export interface ChunkPlacement {
  pointId: string;
  registerId: string;
  startTs: number;
  chunkId: string;
}

/**
 * `<point_id>/<YYYY-MM-DD>/<register_id>/<HHMMSS>-<chunk_id>.ogg` in UTC. Every part is a validated
 * UUID or digits, so no input can steer the path; `resolveInside` proves it once more.
 */
export function chunkRelativePath(placement: ChunkPlacement): string {
  const iso = new Date(placement.startTs).toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19).replaceAll(":", "");
  return `${placement.pointId}/${day}/${placement.registerId}/${time}-${placement.chunkId}.ogg`;
}

export interface ChunkStorage {
  readonly root: string;
  absolutePath(relativePath: string): string;
  /**
   * Stores a chunk's bytes atomically. An existing file is kept when it holds the same bytes (a retry
   * after a crash between file and row) and replaced otherwise; callers serialise per chunk.
   */
  store(relativePath: string, bytes: Uint8Array, sha256: string): Promise<void>;
  /** The file's bytes, or null when it is no longer there. */
  read(relativePath: string): Promise<Uint8Array | null>;
  remove(relativePath: string): Promise<void>;
}

export function createChunkStorage(root: string): ChunkStorage {
  const absolutePath = (relativePath: string) => resolveInside(root, relativePath);
  return {
    root,
    absolutePath,
    async store(relativePath, bytes, sha256) {
      const path = absolutePath(relativePath);
      try {
        await writeFileAtomic(path, bytes, { overwrite: false });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const existing = await readFile(path);
        if (sha256Hex(existing) !== sha256) await writeFileAtomic(path, bytes);
      }
    },
    async read(relativePath) {
      try {
        return new Uint8Array(await readFile(absolutePath(relativePath)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    async remove(relativePath) {
      await rm(absolutePath(relativePath), { force: true });
    },
  };
}
