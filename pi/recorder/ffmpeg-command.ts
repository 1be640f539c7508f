import { join } from "node:path";

/** Where the recorder takes its sound from. */
export type AudioSource =
  | { kind: "alsa"; device: string }
  | { kind: "pulse"; source: string }
  | { kind: "lavfi"; graph: string }
  | { kind: "file"; path: string };

/**
 * Reads `audio_input`: `lavfi:<filtergraph>`, `alsa:<device>`, `pulse:<source>`, `file:<path>`,
 * or anything else as a file path or URL that ffmpeg opens itself.
 */
export function parseAudioInput(input: string): AudioSource {
  const match = /^(lavfi|alsa|pulse|file):(.+)$/s.exec(input.trim());
  if (!match) return { kind: "file", path: input.trim() };
  const [, kind, rest] = match as unknown as [string, AudioSource["kind"], string];
  if (kind === "lavfi") return { kind, graph: rest };
  if (kind === "alsa") return { kind, device: rest };
  if (kind === "pulse") return { kind, source: rest };
  return { kind, path: rest };
}

export function describeAudioSource(source: AudioSource): string {
  if (source.kind === "alsa") return `alsa:${alsaCaptureName(source.device)}`;
  if (source.kind === "pulse") return `pulse:${source.source}`;
  if (source.kind === "lavfi") return `lavfi:${source.graph}`;
  return `file:${source.path}`;
}

/**
 * ALSA devices are opened through the plug layer: a USB mic that only does stereo or 44.1 kHz in
 * hardware still records mono at the configured rate, instead of failing to open.
 */
export function alsaCaptureName(device: string): string {
  return device.startsWith("hw:") ? `plug${device}` : device;
}

function inputArguments(source: AudioSource, sampleRate: number): string[] {
  switch (source.kind) {
    case "alsa":
      return ["-f", "alsa", "-thread_queue_size", "1024", "-channels", "1", "-sample_rate", String(sampleRate), "-i", alsaCaptureName(source.device)];
    case "pulse":
      return ["-f", "pulse", "-i", source.source];
    // Generated and file sound is read at real time, as a microphone delivers it; files loop.
    case "lavfi":
      return ["-re", "-f", "lavfi", "-i", source.graph];
    case "file":
      return ["-re", "-stream_loop", "-1", "-i", source.path];
  }
}

export interface RecordingCommand {
  source: AudioSource;
  sampleRate: number;
  bitrateKbps: number;
  chunkSeconds: number;
  /** Directory of this ffmpeg run: its segments and their list. */
  sessionDir: string;
}

export const segmentListName = "segments.csv";
export const segmentFilePattern = /^seg-(\d{6})\.part$/;

/**
 * One ffmpeg run: the input as mono OGG/Opus cut by the segment muxer into `seg-NNNNNN.part`
 * files, each starting at time zero. A segment is complete once ffmpeg lists it, with its start
 * and end time, in segments.csv. Ogg pages of 0.25 s are flushed as they fill (1.3 % more bytes), so a killed ffmpeg loses under a second.
 */
export function recordingArguments(command: RecordingCommand): string[] {
  const escapedDir = command.sessionDir.replaceAll("%", "%%");
  return [
    "-hide_banner",
    "-nostdin",
    "-nostats",
    "-loglevel",
    "info",
    ...inputArguments(command.source, command.sampleRate),
    "-map",
    "0:a:0",
    "-ac",
    "1",
    "-ar",
    String(command.sampleRate),
    "-c:a",
    "libopus",
    "-b:a",
    `${command.bitrateKbps}k`,
    "-f",
    "segment",
    "-segment_time",
    String(command.chunkSeconds),
    "-segment_format",
    "ogg",
    "-segment_format_options",
    "flush_packets=1:page_duration=250000",
    "-reset_timestamps",
    "1",
    "-segment_list",
    join(command.sessionDir, segmentListName),
    "-segment_list_type",
    "csv",
    join(escapedDir, "seg-%06d.part"),
  ];
}

export interface ListedSegment {
  fileName: string;
  /** Seconds from the start of the run. */
  startSeconds: number;
  endSeconds: number;
}

/** segments.csv lines: `seg-000000.part,0.000000,60.000000`; a half-written last line is ignored. */
export function parseSegmentList(text: string): ListedSegment[] {
  const segments: ListedSegment[] = [];
  const lines = text.split("\n");
  lines.pop(); // empty after the final newline, or a line ffmpeg is still writing
  for (const line of lines) {
    const match = /^(seg-\d{6}\.part),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(line.trim());
    if (!match) continue;
    segments.push({ fileName: match[1]!, startSeconds: Number(match[2]), endSeconds: Number(match[3]) });
  }
  return segments;
}

/**
 * The input's start time from ffmpeg's banner (`Duration: N/A, start: 1705312345.123456, …`).
 * ALSA stamps packets with the wall clock, so a start after 2001 is the wall-clock time of the
 * first sample; generated or file input starts at zero and yields null.
 */
export function parseInputWallClockStart(line: string): number | null {
  const match = /^\s*Duration: .*?, start: (\d+(?:\.\d+)?)/.exec(line);
  if (!match) return null;
  const seconds = Number(match[1]);
  return seconds > 1e9 ? Math.round(seconds * 1000) : null;
}
