import { describe, expect, test } from "bun:test";
import { textLines } from "./text-lines.ts";

async function linesOf(chunks: Uint8Array[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of textLines(new Blob(chunks).stream())) lines.push(line);
  return lines;
}

async function linesOfChunks(chunks: Uint8Array[]): Promise<string[]> {
  async function* stream() {
    yield* chunks;
  }
  const lines: string[] = [];
  for await (const line of textLines(stream())) lines.push(line);
  return lines;
}

describe("lines of a byte stream", () => {
  test("lines come out whole however the bytes are cut, a character split between chunks included", async () => {
    const bytes = new TextEncoder().encode('{"a":1}\nпривет, мир\n\nlast\n');
    const whole = ['{"a":1}', "привет, мир", "", "last"];
    expect(await linesOf([bytes])).toEqual(whole);
    // Every cut, one byte at a time: the two bytes of each Cyrillic letter arrive apart.
    expect(await linesOfChunks([...bytes].map((byte) => Uint8Array.of(byte)))).toEqual(whole);
    for (let cut = 1; cut < bytes.length; cut++) expect(await linesOfChunks([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(whole);
  });

  test("text after the last newline is not a line; an empty stream has none", async () => {
    expect(await linesOfChunks([new TextEncoder().encode("one\ntwo")])).toEqual(["one"]);
    expect(await linesOfChunks([])).toEqual([]);
  });
});
