import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { encodeOpusFile } from "../testing/audio-fixtures.ts";
import { isSilent, measureInputLevel, parseVolumeDetect } from "./input-level.ts";

let dir: TempDir;
beforeAll(async () => {
  dir = makeTempDir();
  await encodeOpusFile(dir.join("tone.ogg"), 1);
  await encodeOpusFile(dir.join("silence.ogg"), 1, { silent: true });
  writeFileSync(dir.join("broken.ogg"), "OggS but nothing more");
});
afterAll(() => dir.remove());

describe("input level", () => {
  test("a tone is loud, a muted microphone is silent", async () => {
    const tone = (await measureInputLevel(dir.join("tone.ogg")))!;
    expect(tone.maxDb).toBeGreaterThan(-30);
    expect(isSilent(tone)).toBe(false);
    const silence = (await measureInputLevel(dir.join("silence.ogg")))!;
    expect(silence.maxDb).toBeLessThanOrEqual(-90);
    expect(isSilent(silence)).toBe(true);
  });

  test("an unreadable file, or a probe that does not finish in time, gives no level", async () => {
    expect(await measureInputLevel(dir.join("broken.ogg"))).toBeNull();
    expect(await measureInputLevel(dir.join("tone.ogg"), 0)).toBeNull();
  });

  test("volumedetect's report is read, including -inf", () => {
    expect(parseVolumeDetect("[Parsed_volumedetect_0 @ 0x1] mean_volume: -21.1 dB\n[Parsed_volumedetect_0 @ 0x1] max_volume: -17.9 dB\n")).toEqual({ meanDb: -21.1, maxDb: -17.9 });
    expect(parseVolumeDetect("mean_volume: -inf dB\nmax_volume: -inf dB\n")).toEqual({ meanDb: -120, maxDb: -120 });
    expect(parseVolumeDetect("nothing here")).toBeNull();
  });
});
