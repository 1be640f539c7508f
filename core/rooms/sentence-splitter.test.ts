import { describe, expect, test } from "bun:test";
import { createSentenceSplitter, splitSentences } from "./sentence-splitter.ts";

describe("sentence splitter", () => {
  test("cuts at sentence ends and blank lines, keeps decimals and closing quotes, joins fragments too short to play alone", () => {
    expect(splitSentences('It costs 4.99 today! "Really?" she asked. Hi. That was short.\n\nA new paragraph without a full stop')).toEqual([
      "It costs 4.99 today!",
      '"Really?" she asked.',
      "Hi. That was short.",
      "A new paragraph without a full stop",
    ]);
    expect(splitSentences("Привет! Это вторая фраза сообщения… И третья?")).toEqual(["Привет! Это вторая фраза сообщения…", "И третья?"]);
    expect(splitSentences("   \n ")).toEqual([]);
  });

  test("a streamed text gives each sentence as soon as it ends, in any cut of the stream", () => {
    const text = "Hello there, this is the first sentence. Now the second one arrives! And the last";
    const whole = splitSentences(text);
    for (const size of [1, 3, 7, 20]) {
      const splitter = createSentenceSplitter();
      const seen: string[] = [];
      for (let at = 0; at < text.length; at += size) seen.push(...splitter.push(text.slice(at, at + size)));
      expect(seen).toEqual(whole.slice(0, 2));
      expect([...seen, ...splitter.finish()]).toEqual(whole);
    }
  });

  test("a sentence too long to wait for is cut at a comma or a space", () => {
    const long = `${"word, ".repeat(150)}end.`;
    const pieces = splitSentences(long);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(400);
    expect(pieces.join(" ").replace(/\s+/g, " ")).toBe(long.trim().replace(/\s+/g, " "));
  });
});
