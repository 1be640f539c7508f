import { readAllText, spawnProcess } from "../../shared/runtime/process.ts";

/** Loudness of a chunk, in dBFS: a dead or muted microphone reads about -91 dB. */
export interface InputLevel {
  meanDb: number;
  maxDb: number;
}

/** Below this peak a chunk counts as silent: nothing but the noise floor reached the microphone. */
export const silentPeakDb = -60;

export function isSilent(level: InputLevel): boolean {
  return level.maxDb <= silentPeakDb;
}

/** Decodes the chunk once with ffmpeg's volumedetect; null when ffmpeg cannot read it in time. */
export async function measureInputLevel(path: string, timeoutMs = 30_000): Promise<InputLevel | null> {
  const child = spawnProcess("ffmpeg", ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-i", path, "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"]);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [stderr, code] = await Promise.all([readAllText(child.stderr), child.exited]);
  clearTimeout(timer);
  return code === 0 ? parseVolumeDetect(stderr) : null;
}

export function parseVolumeDetect(stderr: string): InputLevel | null {
  const mean = /mean_volume: (-?(?:\d+(?:\.\d+)?|inf)) dB/.exec(stderr)?.[1];
  const max = /max_volume: (-?(?:\d+(?:\.\d+)?|inf)) dB/.exec(stderr)?.[1];
  if (mean === undefined || max === undefined) return null;
  const toNumber = (text: string) => (text.endsWith("inf") ? -120 : Number(text));
  return { meanDb: toNumber(mean), maxDb: toNumber(max) };
}
