/**
 * Where a text file stops being UTF-8: the first byte of the first invalid sequence, so a refusal
 * can name the line and the byte in that line (a Latin-1 "é" is one byte UTF-8 does not allow there).
 */

/** Index of the first byte of the first invalid UTF-8 sequence in `bytes` from `start`; -1 when none (a sequence cut off at the end is not invalid). */
export function firstInvalidUtf8Byte(bytes: Uint8Array, start = 0): number {
  let index = start;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index++;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return index;
    for (let offset = 1; offset < length; offset++) {
      if (index + offset >= bytes.length) return -1;
      const next = bytes[index + offset]!;
      if (next < (offset === 1 ? low : 0x80) || next > (offset === 1 ? high : 0xbf)) return index;
    }
    index += length;
  }
  return -1;
}

/** Counts line feeds as pieces of a file go by, to place a byte offset on a 1-based line. */
export class LineTracker {
  #lines = 0;
  #lastLineStart = 0;
  #offset = 0;

  /** Adds a piece that was read in full. */
  advance(piece: Uint8Array): void {
    this.#count(piece, piece.length);
    this.#offset += piece.length;
  }

  /** The line and 1-based byte within it of `index` in `piece`, the piece after the last one advanced over. */
  locate(piece: Uint8Array, index: number): { line: number; byteInLine: number; byteInFile: number } {
    const lines = this.#lines;
    const lastLineStart = this.#lastLineStart;
    this.#count(piece, index);
    const located = { line: this.#lines + 1, byteInLine: this.#offset + index - this.#lastLineStart + 1, byteInFile: this.#offset + index + 1 };
    this.#lines = lines;
    this.#lastLineStart = lastLineStart;
    return located;
  }

  #count(piece: Uint8Array, end: number): void {
    let at = piece.indexOf(10);
    while (at !== -1 && at < end) {
      this.#lines++;
      this.#lastLineStart = this.#offset + at + 1;
      at = piece.indexOf(10, at + 1);
    }
  }
}
