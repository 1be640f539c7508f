import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { runCommand } from "../runtime/process.ts";
import { makeTempDir, type TempDir } from "../testing/temp-dir.ts";
import { asteriskWavProblem, encodeMuLaw, encodePcmWav, inspectWavHeader, sniffAudioContainer } from "./wav-format.ts";

let dir: TempDir;
const files: Record<string, Uint8Array> = {};

/** Real files from ffmpeg: what operators actually export. */
async function make(name: string, args: string[]): Promise<void> {
  const path = dir.join(name);
  const result = await runCommand("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", ...args, path]);
  if (result.code !== 0) throw new Error(result.stderr);
  files[name] = new Uint8Array(readFileSync(path));
}

beforeAll(async () => {
  dir = makeTempDir();
  await make("asterisk.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_s16le"]);
  await make("stereo-44k.wav", ["-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le"]);
  await make("mono-16k.wav", ["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"]);
  await make("unsigned-8bit.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_u8"]);
  await make("float.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_f32le"]);
  await make("mulaw.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw"]);
  await make("speech.mp3", ["-ar", "8000", "-ac", "1", "-c:a", "libmp3lame"]);
  await make("bare.mp3", ["-ar", "8000", "-ac", "1", "-c:a", "libmp3lame", "-id3v2_version", "0", "-write_xing", "0"]);
  await make("speech.ogg", ["-ar", "8000", "-ac", "1", "-c:a", "libopus"]);
  await make("speech.flac", ["-ar", "8000", "-ac", "1", "-c:a", "flac"]);
});
afterAll(() => dir.remove());

function inspect(name: string) {
  const bytes = files[name]!;
  return inspectWavHeader(bytes, bytes.length);
}

describe("inspectWavHeader", () => {
  test("reads an 8 kHz mono 16-bit PCM file as Asterisk plays it", () => {
    const result = inspect("asterisk.wav");
    expect(result.status).toBe("ok");
    if (result.status !== "ok") return;
    expect(result.format).toMatchObject({ formatTag: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16, blockAlign: 2, byteRate: 16000, durationMs: 500 });
    expect(result.format.dataOffset + result.format.dataBytes).toBeLessThanOrEqual(files["asterisk.wav"]!.length);
    expect(asteriskWavProblem(result.format)).toBeNull();
  });

  test.each([
    ["stereo-44k.wav", "44100 Hz instead of 8000 Hz, stereo instead of mono"],
    ["mono-16k.wav", "16000 Hz instead of 8000 Hz"],
    ["unsigned-8bit.wav", "8-bit instead of 16-bit samples"],
    ["float.wav", "IEEE float encoding instead of PCM, 32-bit instead of 16-bit samples"],
    ["mulaw.wav", "µ-law encoding instead of PCM, 8-bit instead of 16-bit samples"],
  ])("names what is wrong with %s", (name, problem) => {
    const result = inspect(name);
    expect(result.status).toBe("ok");
    if (result.status === "ok") expect(asteriskWavProblem(result.format)).toBe(problem);
  });

  test.each([
    ["speech.mp3", "an MP3 file, not a RIFF/WAVE file"],
    ["bare.mp3", "an MP3 file, not a RIFF/WAVE file"],
    ["speech.ogg", "an Ogg file, not a RIFF/WAVE file"],
    ["speech.flac", "a FLAC file, not a RIFF/WAVE file"],
  ])("says what a misnamed %s really is", (name, reason) => {
    expect(inspect(name)).toEqual({ status: "invalid", reason });
  });

  test("asks for more bytes until the data chunk, then answers", () => {
    const bytes = files["asterisk.wav"]!;
    expect(inspectWavHeader(bytes.subarray(0, 8), bytes.length)).toEqual({ status: "need_more" });
    expect(inspectWavHeader(bytes.subarray(0, 20), bytes.length)).toEqual({ status: "need_more" });
    expect(inspectWavHeader(bytes.subarray(0, 200), bytes.length).status).toBe("ok");
  });

  test("refuses truncated and damaged headers", () => {
    const bytes = files["asterisk.wav"]!;
    expect(inspectWavHeader(bytes.subarray(0, 100), 100)).toMatchObject({ status: "invalid", reason: expect.stringContaining("truncated") });
    expect(inspectWavHeader(new Uint8Array(5), 5)).toMatchObject({ status: "invalid", reason: expect.stringContaining("too short") });
    const unset = encodePcmWav(new Uint8Array(100));
    new DataView(unset.buffer).setUint32(40, 0xffffffff, true);
    new DataView(unset.buffer).setUint32(4, 36 + 100, true);
    expect(inspectWavHeader(unset, unset.length)).toMatchObject({ status: "invalid", reason: expect.stringContaining("size is unset") });
    expect(inspectWavHeader(encodePcmWav(new Uint8Array(0)), 44)).toMatchObject({ status: "invalid", reason: expect.stringContaining("empty") });
    const wrongSize = encodePcmWav(new Uint8Array(100));
    new DataView(wrongSize.buffer).setUint32(4, 4, true);
    expect(inspectWavHeader(wrongSize, wrongSize.length)).toMatchObject({ status: "invalid", reason: expect.stringContaining("declares 12 bytes although the file has 144") });
    const appended = new Uint8Array([...encodePcmWav(new Uint8Array(100)), ...new Uint8Array(50)]);
    expect(inspectWavHeader(appended, appended.length)).toMatchObject({ status: "invalid", reason: expect.stringContaining("bytes were appended") });
  });

  test("what it writes, ffprobe reads as 8 kHz mono 16-bit PCM", async () => {
    const written = encodePcmWav(new Uint8Array(16000));
    const path = dir.join("written.wav");
    await Bun.write(path, written);
    const probe = await runCommand("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,duration", "-of", "json", path]);
    expect(JSON.parse(probe.stdout).streams[0]).toMatchObject({ codec_name: "pcm_s16le", sample_rate: "8000", channels: 1, duration: "1.000000" });
    expect(inspectWavHeader(written, written.length)).toMatchObject({ status: "ok", format: { durationMs: 1000 } });
  });
});

describe("µ-law", () => {
  test("encodes 16-bit PCM the way ffmpeg's G.711 encoder does", async () => {
    const wav = files["asterisk.wav"]!;
    const result = inspectWavHeader(wav, wav.length);
    if (result.status !== "ok") throw new Error("fixture");
    const pcm = wav.subarray(result.format.dataOffset, result.format.dataOffset + result.format.dataBytes);
    const path = dir.join("reference.ulaw");
    await runCommand("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", dir.join("asterisk.wav"), "-f", "mulaw", path]);
    const reference = new Uint8Array(readFileSync(path));
    const ours = encodeMuLaw(pcm);
    expect(ours.length).toBe(reference.length);
    const differing = ours.filter((value, index) => Math.abs(value - reference[index]!) > 1).length;
    expect(differing).toBe(0);
  });

  test("raw µ-law silence is not mistaken for an MP3 frame", () => {
    const silence = encodeMuLaw(new Uint8Array(200));
    expect(silence[0]).toBe(0xff);
    expect(sniffAudioContainer(silence, { frameSync: false })).toBeNull();
    expect(sniffAudioContainer(files["bare.mp3"]!)).toBe("an MP3 file");
  });
});
