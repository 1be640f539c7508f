import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { decodeOggOpus, encodeOpusFile } from "../testing/audio-fixtures.ts";
import { audioDurationMs, inspectOggOpus, NotOggOpusError, repairOggOpus } from "./ogg-opus.ts";

let complete: Uint8Array;
beforeAll(async () => {
  const fixtures = makeTempDir();
  await encodeOpusFile(fixtures.join("six-seconds.ogg"), 6);
  complete = new Uint8Array(readFileSync(fixtures.join("six-seconds.ogg")));
  fixtures.remove();
});
let dir: TempDir | undefined;
afterEach(() => dir?.remove());

describe("Ogg Opus inspection", () => {
  test("measures a complete file exactly from its granule positions", () => {
    const info = inspectOggOpus(complete);
    expect(info).toMatchObject({ complete: true, channels: 1, validLength: complete.length, problem: null });
    expect(info.preSkip).toBeGreaterThan(0);
    expect(audioDurationMs(info)).toBe(6000);
  });

  test("refuses what is not Ogg Opus", () => {
    expect(() => inspectOggOpus(new TextEncoder().encode("RIFF....WAVEfmt "))).toThrow(NotOggOpusError);
    expect(() => inspectOggOpus(new Uint8Array(0))).toThrow(NotOggOpusError);
  });

  test("notices a flipped byte through the page checksum", () => {
    const damaged = complete.slice();
    damaged[Math.floor(damaged.length * 0.75)]! ^= 0xff;
    const info = inspectOggOpus(damaged);
    expect(info.complete).toBe(false);
    expect(info.problem).toContain("checksum mismatch");
    expect(info.validLength).toBeLessThan(damaged.length);
  });
});

describe("repairing a cut-off chunk", () => {
  test.each([0.4, 0.7, 0.95])("a file cut at %p of its length becomes a valid, shorter Ogg Opus file", async (fraction) => {
    const cut = complete.slice(0, Math.floor(complete.length * fraction));
    expect(inspectOggOpus(cut).complete).toBe(false);
    const { bytes: repaired, info } = repairOggOpus(cut);
    expect(info).toEqual(inspectOggOpus(repaired));
    expect(info.complete).toBe(true);
    expect(audioDurationMs(info)).toBeGreaterThan(0);
    expect(audioDurationMs(info)).toBeLessThan(6000);
    const decoded = await decodeOggOpus(repaired);
    expect(decoded.errors).toBe(0);
    expect(decoded.samples).toBe(info.audioSamples);
    dir = makeTempDir();
    const path = dir.join("repaired.ogg");
    writeFileSync(path, repaired);
    expect((await runCommand("ffmpeg", ["-v", "error", "-xerror", "-i", path, "-f", "null", "-"])).stderr).toBe("");
  });

  test("a complete file is returned as it is", () => {
    const { bytes, info } = repairOggOpus(complete);
    expect(bytes).toBe(complete);
    expect(info).toEqual(inspectOggOpus(complete));
  });

  test("a segment as ffmpeg's segment muxer leaves it (no end-of-stream page) only gets the flag", async () => {
    dir = makeTempDir();
    await encodeOpusFile(dir.join("seg.part"), 1.5, { segment: true });
    const segment = new Uint8Array(readFileSync(dir.join("seg.part")));
    expect(inspectOggOpus(segment)).toMatchObject({ complete: false, problem: "the last page does not end the stream" });
    const { bytes: repaired, info } = repairOggOpus(segment);
    expect(repaired.length).toBe(segment.length);
    expect(info).toEqual(inspectOggOpus(repaired));
    expect(info.complete).toBe(true);
    // The segment muxer restarts timestamps at the first packet, so granules also count the pre-skip.
    expect(info.audioSamples).toBeGreaterThanOrEqual(72_000);
    expect(info.audioSamples).toBeLessThanOrEqual(72_000 + info.preSkip);
    expect((await decodeOggOpus(repaired)).errors).toBe(0);
  });
});
