import { describe, expect, test } from "bun:test";
import { alsaCaptureName, describeAudioSource, parseAudioInput, parseInputWallClockStart, parseSegmentList, recordingArguments } from "./ffmpeg-command.ts";

describe("audio_input", () => {
  test.each([
    ["lavfi:sine=frequency=440:sample_rate=48000", { kind: "lavfi", graph: "sine=frequency=440:sample_rate=48000" }],
    ["alsa:hw:1,0", { kind: "alsa", device: "hw:1,0" }],
    ["pulse:default", { kind: "pulse", source: "default" }],
    ["file:/srv/demo/shop.ogg", { kind: "file", path: "/srv/demo/shop.ogg" }],
    ["/srv/demo/shop floor.wav", { kind: "file", path: "/srv/demo/shop floor.wav" }],
    ["https://radio.example.com/stream", { kind: "file", path: "https://radio.example.com/stream" }],
  ])("%s", (input, expected) => {
    expect(parseAudioInput(input)).toEqual(expected as never);
  });

  test("ALSA hardware devices are opened through the plug layer; names and plug devices stay", () => {
    expect(alsaCaptureName("hw:1,0")).toBe("plughw:1,0");
    expect(alsaCaptureName("plughw:CARD=Device,DEV=0")).toBe("plughw:CARD=Device,DEV=0");
    expect(alsaCaptureName("default")).toBe("default");
    expect(describeAudioSource({ kind: "alsa", device: "hw:2,0" })).toBe("alsa:plughw:2,0");
  });
});

describe("the ffmpeg command", () => {
  const base = { sampleRate: 48000, bitrateKbps: 24, chunkSeconds: 60, sessionDir: "/var/spool/recording/abc" };

  test("records mono Opus at the configured bitrate and rate, cut into chunk_seconds segments listed in a CSV", () => {
    const args = recordingArguments({ ...base, source: { kind: "alsa", device: "hw:1,0" } });
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    expect(args.slice(0, 5)).toEqual(["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"]);
    expect(after("-f")).toBe("alsa");
    expect(after("-i")).toBe("plughw:1,0");
    expect(after("-ac")).toBe("1");
    expect(after("-ar")).toBe("48000");
    expect(after("-c:a")).toBe("libopus");
    expect(after("-b:a")).toBe("24k");
    expect(after("-segment_time")).toBe("60");
    expect(after("-segment_format")).toBe("ogg");
    expect(after("-reset_timestamps")).toBe("1");
    expect(after("-segment_list")).toBe("/var/spool/recording/abc/segments.csv");
    expect(after("-segment_list_type")).toBe("csv");
    expect(args[args.length - 1]).toBe("/var/spool/recording/abc/seg-%06d.part");
  });

  test("generated and file input is read at real time; files loop", () => {
    const lavfi = recordingArguments({ ...base, source: { kind: "lavfi", graph: "sine" } });
    expect(lavfi.slice(5, 10)).toEqual(["-re", "-f", "lavfi", "-i", "sine"]);
    const file = recordingArguments({ ...base, source: { kind: "file", path: "/x.wav" } });
    expect(file.slice(5, 10)).toEqual(["-re", "-stream_loop", "-1", "-i", "/x.wav"]);
  });

  test("a % in the spool path cannot turn into a segment number", () => {
    const args = recordingArguments({ ...base, sessionDir: "/data/100%/rec", source: { kind: "lavfi", graph: "sine" } });
    expect(args[args.length - 1]).toBe("/data/100%%/rec/seg-%06d.part");
  });
});

describe("ffmpeg's reports", () => {
  test("the segment list gives complete segments only; a line being written is left for later", () => {
    const text = "seg-000000.part,0.000000,60.000000\nseg-000001.part,60.000000,120.000000\nseg-000002.part,120.0";
    expect(parseSegmentList(text)).toEqual([
      { fileName: "seg-000000.part", startSeconds: 0, endSeconds: 60 },
      { fileName: "seg-000001.part", startSeconds: 60, endSeconds: 120 },
    ]);
    expect(parseSegmentList("")).toEqual([]);
    expect(parseSegmentList("garbage,line\n")).toEqual([]);
  });

  test("ALSA's wall-clock start time is read from the banner; a zero-based input gives none", () => {
    expect(parseInputWallClockStart("  Duration: N/A, start: 1705312345.123456, bitrate: 768 kb/s")).toBe(1_705_312_345_123);
    expect(parseInputWallClockStart("  Duration: N/A, start: 0.000000, bitrate: 768 kb/s")).toBeNull();
    expect(parseInputWallClockStart("Stream #0:0: Audio: pcm_s16le")).toBeNull();
  });
});
