import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { ServedAudioFile } from "../campaigns/campaign-snapshot.ts";

/**
 * Audio bytes for the dialer, from memory when possible: a least-recently-used cache bounded in
 * bytes. A file is checked against its recorded size and SHA-256 when it is first read, so a file
 * damaged or replaced on disk is never played (the caller falls back to the default prompt).
 */
export type AudioLoad = { ok: true; body: Blob } | { ok: false; reason: "missing" | "damaged"; detail: string };

export interface AudioStoreStats {
  entries: number;
  bytes: number;
  capacityBytes: number;
  hits: number;
  misses: number;
}

export class AudioStore {
  // Map iteration order is insertion order: re-inserting on a hit keeps the oldest first.
  readonly #entries = new Map<string, Blob>();
  readonly #loading = new Map<string, Promise<AudioLoad>>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(private readonly capacityBytes: number) {}

  /** The cached file, or undefined (then call `load`). Synchronous so a hit costs no await. */
  peek(file: ServedAudioFile): Blob | undefined {
    const body = this.#entries.get(file.diskPath);
    if (body === undefined) return undefined;
    this.#hits++;
    this.#entries.delete(file.diskPath);
    this.#entries.set(file.diskPath, body);
    return body;
  }

  load(file: ServedAudioFile): Promise<AudioLoad> {
    const cached = this.peek(file);
    if (cached) return Promise.resolve({ ok: true, body: cached });
    const pending = this.#loading.get(file.diskPath);
    if (pending) return pending;
    this.#misses++;
    const loading = this.#read(file).finally(() => this.#loading.delete(file.diskPath));
    this.#loading.set(file.diskPath, loading);
    return loading;
  }

  stats(): AudioStoreStats {
    return { entries: this.#entries.size, bytes: this.#bytes, capacityBytes: this.capacityBytes, hits: this.#hits, misses: this.#misses };
  }

  /** Drops files of imports no longer served. */
  retainOnly(keep: (diskPath: string) => boolean): void {
    for (const [path, body] of this.#entries) {
      if (keep(path)) continue;
      this.#entries.delete(path);
      this.#bytes -= body.size;
    }
  }

  async #read(file: ServedAudioFile): Promise<AudioLoad> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file.diskPath));
    } catch (error) {
      return { ok: false, reason: "missing", detail: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
    }
    if (bytes.length !== file.size) return { ok: false, reason: "damaged", detail: `${bytes.length} bytes on disk, ${file.size} imported` };
    if (createHash("sha256").update(bytes).digest("hex") !== file.sha256) return { ok: false, reason: "damaged", detail: "content differs from the imported file" };
    // A Blob: every response and range shares its memory, where a typed array would be copied each time.
    const body = new Blob([bytes]);
    this.#store(file.diskPath, body);
    return { ok: true, body };
  }

  #store(path: string, body: Blob): void {
    if (body.size > this.capacityBytes / 4) return;
    this.#entries.set(path, body);
    this.#bytes += body.size;
    for (const [oldest, oldBody] of this.#entries) {
      if (this.#bytes <= this.capacityBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= oldBody.size;
    }
  }
}
