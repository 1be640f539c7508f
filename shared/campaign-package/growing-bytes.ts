const blockBytes = 256 * 1024;

/**
 * Bytes appended into fixed blocks: no object per piece, no doubling (which would hold up to twice
 * the bytes, and leave the old copies to the garbage collector).
 */
export class GrowingBytes {
  #blocks: Uint8Array[] = [];
  #used = 0;
  length = 0;

  append(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#blocks.length === 0 || this.#used === blockBytes) {
        this.#blocks.push(new Uint8Array(blockBytes));
        this.#used = 0;
      }
      const taken = Math.min(blockBytes - this.#used, bytes.length - offset);
      this.#blocks.at(-1)!.set(bytes.subarray(offset, offset + taken), this.#used);
      this.#used += taken;
      offset += taken;
    }
    this.length += bytes.length;
  }

  /** The bytes in order, a block at a time. */
  *pieces(): Generator<Uint8Array> {
    for (const [index, block] of this.#blocks.entries()) yield index === this.#blocks.length - 1 ? block.subarray(0, this.#used) : block;
  }
}
