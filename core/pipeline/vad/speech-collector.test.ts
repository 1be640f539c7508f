import { describe, expect, test } from "bun:test";
import { createSpeechCollector, frameMs } from "./speech-collector.ts";

/** Runs the collector over a frame pattern: '#' voiced, '.' unvoiced, one character per 30 ms frame. */
function collect(pattern: string, options = { windowMs: 300, ratio: 0.9, mergeGapMs: 300, preRollMs: 300 }) {
  const collector = createSpeechCollector(options);
  for (const frame of pattern) collector.push(frame === "#");
  return collector.finish();
}

describe("speech collector (py-webrtcvad style)", () => {
  test("silence and isolated clicks are not speech", () => {
    expect(collect(".".repeat(200))).toEqual([]);
    expect(collect(`${".".repeat(50)}##.#..###.${".".repeat(50)}`)).toEqual([]);
  });

  test("speech starts at the window's first frame minus the pre-roll and ends once the window is 90 % quiet", () => {
    const spans = collect(`${".".repeat(100)}${"#".repeat(50)}${".".repeat(100)}`);
    // Triggered at frame 108, when the window [99, 109) holds 9 voiced frames → start 99·30 − 300;
    // ends at frame 158, when 9 of the last 10 frames are quiet → 159·30.
    expect(spans).toEqual([{ startMs: 99 * frameMs - 300, endMs: 159 * frameMs }]);
  });

  test("short gaps are merged, long pauses separate segments", () => {
    const short = collect(`${".".repeat(20)}${"#".repeat(40)}${".".repeat(14)}${"#".repeat(40)}${".".repeat(40)}`);
    expect(short).toHaveLength(1);
    const long = collect(`${".".repeat(20)}${"#".repeat(40)}${".".repeat(60)}${"#".repeat(40)}${".".repeat(40)}`);
    expect(long).toHaveLength(2);
    expect(long[1]!.startMs).toBe(119 * frameMs - 300);
  });

  test("speech still going at the end of the audio ends with the audio; pre-roll never goes below zero", () => {
    expect(collect(`${"#".repeat(30)}`)).toEqual([{ startMs: 0, endMs: 30 * frameMs }]);
    expect(collect(`${".".repeat(5)}${"#".repeat(60)}`)).toEqual([{ startMs: 0, endMs: 65 * frameMs }]);
  });
});
