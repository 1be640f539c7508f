import { describe, expect, test } from "bun:test";
import { locateQuote } from "./quote-locator.ts";

const transcript = "Good morning! Would you like to add a warranty to your new laptop? No thanks. Может, возьмёте ещё чехол?";

describe("locateQuote", () => {
  test("finds an exact quote and returns its offsets", () => {
    const located = locateQuote(transcript, "Would you like to add a warranty");
    expect(located).toEqual({ text: "Would you like to add a warranty", start: 14, end: 46 });
    expect(transcript.slice(located!.start, located!.end)).toBe(located!.text);
  });

  test("tolerates case, punctuation and spacing, and returns the transcript's own text", () => {
    expect(locateQuote(transcript, "would you like to add a  warranty to your new laptop")?.text).toBe("Would you like to add a warranty to your new laptop");
    expect(locateQuote(transcript, "может возьмете еще чехол")?.text).toBe("Может, возьмёте ещё чехол");
  });

  test("refuses words the transcript does not contain, or in another order", () => {
    expect(locateQuote(transcript, "Would you like an extended warranty")).toBeNull();
    expect(locateQuote(transcript, "warranty a add")).toBeNull();
    expect(locateQuote(transcript, "...")).toBeNull();
    expect(locateQuote(transcript, "laptop? No thanks. Can I")).toBeNull();
  });

  test("does not match part of a word", () => {
    expect(locateQuote("we sell warranties", "warranty")).toBeNull();
  });

  test("searches after a given offset", () => {
    const twice = "add a case. Later: add a case.";
    const first = locateQuote(twice, "add a case")!;
    expect(locateQuote(twice, "add a case", first.end)?.start).toBe(19);
  });
});
