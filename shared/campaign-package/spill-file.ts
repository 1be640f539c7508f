import { randomUUID } from "node:crypto";
import { closeSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAllSync } from "../runtime/files.ts";

const defaultMemoryBytes = 256 * 1024;

/**
 * Bytes appended in order and read back front to back, in pieces: the first `memoryBytes` stay in
 * memory, past them the bytes go to a temporary file, so what a writer keeps per entry (a zip's
 * central directory, a manifest's file list) costs disk, not memory, however many entries there are.
 * The file is unlinked as soon as it is created: nothing is left behind by `close`, by an abort that
 * forgets to call it, or by a crash; `close` gives the space back.
 */
export class SpillFile {
  readonly #memoryBytes: number;
  readonly #directory: string;
  #buffer: Uint8Array;
  #used = 0;
  #fd: number | null = null;
  #spilled = 0;
  #closed = false;
  length = 0;

  constructor(options: { memoryBytes?: number; directory?: string } = {}) {
    this.#memoryBytes = options.memoryBytes ?? defaultMemoryBytes;
    this.#directory = options.directory ?? tmpdir();
    this.#buffer = new Uint8Array(this.#memoryBytes);
  }

  append(bytes: Uint8Array): void {
    if (this.#closed) throw new Error("the spill file is closed");
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#used === this.#buffer.length) this.#spill();
      const taken = Math.min(this.#buffer.length - this.#used, bytes.length - offset);
      this.#buffer.set(bytes.subarray(offset, offset + taken), this.#used);
      this.#used += taken;
      offset += taken;
    }
    this.length += bytes.length;
  }

  /** The bytes in order, each piece a fresh array of at most `memoryBytes` that the caller may keep. */
  *pieces(): Generator<Uint8Array> {
    if (this.#closed) throw new Error("the spill file is closed");
    for (let position = 0; position < this.#spilled; ) {
      const piece = new Uint8Array(Math.min(this.#memoryBytes, this.#spilled - position));
      let filled = 0;
      while (filled < piece.length) {
        const read = readSync(this.#fd!, piece, filled, piece.length - filled, position + filled);
        if (read === 0) throw new Error("the spill file is shorter than what was written to it");
        filled += read;
      }
      position += piece.length;
      yield piece;
    }
    if (this.#used > 0) yield this.#buffer.slice(0, this.#used);
  }

  /** Frees the memory and the disk space; the bytes are gone. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = new Uint8Array(0);
    this.#used = 0;
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #spill(): void {
    if (this.#fd === null) {
      const path = join(this.#directory, `salescontrol-spill-${randomUUID()}`);
      this.#fd = openSync(path, "wx+", 0o600);
      unlinkSync(path);
    }
    writeAllSync(this.#fd, this.#buffer.subarray(0, this.#used));
    this.#spilled += this.#used;
    this.#used = 0;
  }
}
