import { asteriskWav } from "../../shared/audio/wav-format.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { SpeechSynthesisError } from "./speech-provider.ts";

/**
 * Makes speech what Asterisk plays (PCM, mono, 16-bit, 8000 Hz) at one loudness for every lead:
 * ffmpeg measures the integrated loudness (EBU R128) of the telephone-band audio, then applies
 * the gain that reaches the target and a peak limiter. Two passes, because ffmpeg's one-pass
 * loudnorm does not settle on clips of a few seconds.
 */
export const studioLoudness = {
  /** Integrated loudness every clip is brought to, LUFS. */
  targetLufs: -18,
  /** Sample peak ceiling after the gain (−2 dBFS). */
  peakLimit: 0.794,
  /** Below this the clip is taken for silence: no gain makes speech of it. */
  silenceLufs: -70,
} as const;

export interface LoudnessMeasurement {
  integratedLufs: number;
  truePeakDbtp: number;
}

/** The loudness of an audio file (any format ffmpeg reads), measured after band-limiting to 8 kHz. */
export async function measureLoudness(input: { path: string } | { pcmPath: string }): Promise<LoudnessMeasurement> {
  const source = "path" in input ? ["-i", input.path] : ["-f", "s16le", "-ar", String(asteriskWav.sampleRate), "-ac", "1", "-i", input.pcmPath];
  const result = await runCommand("ffmpeg", ["-hide_banner", "-nostdin", ...source, "-af", `aresample=${asteriskWav.sampleRate},loudnorm=print_format=json`, "-f", "null", "-"]);
  if (result.code !== 0) throw new SpeechSynthesisError("tts.undecodable_audio", `ffmpeg cannot read the synthesised audio: ${lastLines(result.stderr)}`, false);
  const json = /\{[^{}]*"input_i"[^{}]*\}/.exec(result.stderr)?.[0];
  if (!json) throw new SpeechSynthesisError("tts.conversion_failed", "ffmpeg printed no loudness measurement", false);
  const measured = JSON.parse(json) as { input_i: string; input_tp: string };
  return { integratedLufs: Number.parseFloat(measured.input_i), truePeakDbtp: Number.parseFloat(measured.input_tp) };
}

/** Converts `inputPath` into loudness-normalised 8 kHz mono 16-bit PCM at `pcmPath` (headerless). */
export async function convertToAsteriskPcm(inputPath: string, pcmPath: string): Promise<LoudnessMeasurement> {
  const measured = await measureLoudness({ path: inputPath });
  if (!Number.isFinite(measured.integratedLufs) || measured.integratedLufs < studioLoudness.silenceLufs) {
    throw new SpeechSynthesisError("tts.silent_audio", `the synthesised audio is silent (${measured.integratedLufs} LUFS)`, false);
  }
  const gainDb = (studioLoudness.targetLufs - measured.integratedLufs).toFixed(2);
  const converted = await runCommand("ffmpeg", [
    "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", inputPath,
    "-af", `aresample=${asteriskWav.sampleRate},volume=${gainDb}dB,alimiter=limit=${studioLoudness.peakLimit}:level=false:attack=1:release=50`,
    "-ac", "1", "-ar", String(asteriskWav.sampleRate), "-f", "s16le", "-acodec", "pcm_s16le", pcmPath,
  ]);
  if (converted.code !== 0) throw new SpeechSynthesisError("tts.conversion_failed", `ffmpeg could not convert the speech: ${lastLines(converted.stderr)}`, false);
  return measured;
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-3).join(" ").slice(0, 400);
}
