import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "../../shared/runtime/process.ts";
import { type SpeechProvider, type SpeechRequest, SpeechSynthesisError } from "../studio/speech-provider.ts";

/**
 * The rooms' audio: every sentence is kept as headerless 16-bit mono PCM at one rate, so a request's
 * sentences concatenate into one WAV stream and each one's length is its byte count.
 */
export const roomPcm = { sampleRate: 24_000, channels: 1, bytesPerSample: 2 } as const;

export function pcmDurationMs(bytes: number): number {
  return Math.round((bytes / (roomPcm.sampleRate * roomPcm.channels * roomPcm.bytesPerSample)) * 1000);
}

export function chunkAudioPathOf(directory: string, requestId: string, sequence: number): string {
  return join(directory, requestId, `${sequence}.pcm`);
}

/** Speaks one sentence into the room's PCM at `pcmPath`; returns its length. */
export async function speakSentence(provider: SpeechProvider, request: SpeechRequest, pcmPath: string, signal: AbortSignal): Promise<{ durationMs: number }> {
  await mkdir(join(pcmPath, ".."), { recursive: true });
  const spoken = `${pcmPath}.speech`;
  try {
    await provider.synthesize({ ...request, voice: provider.voiceFor(request) }, spoken, signal);
    signal.throwIfAborted();
    const converted = await runCommand("ffmpeg", [
      "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", spoken,
      "-ac", String(roomPcm.channels), "-ar", String(roomPcm.sampleRate), "-f", "s16le", "-acodec", "pcm_s16le", pcmPath,
    ]);
    if (converted.code !== 0) throw new SpeechSynthesisError("tts.conversion_failed", `ffmpeg could not convert the speech: ${converted.stderr.trim().slice(-300)}`, false);
    const { size } = await stat(pcmPath);
    if (size === 0) throw new SpeechSynthesisError("tts.empty_audio", "the speech had no samples", false);
    return { durationMs: pcmDurationMs(size) };
  } finally {
    await rm(spoken, { force: true });
  }
}

/** A WAV header for a stream whose length is not known yet: players read until the body ends. */
export function openEndedWavHeader(): Uint8Array {
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string) => header.set(new TextEncoder().encode(text), offset);
  const byteRate = roomPcm.sampleRate * roomPcm.channels * roomPcm.bytesPerSample;
  ascii(0, "RIFF");
  view.setUint32(4, 0xffffffff, true);
  ascii(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, roomPcm.channels, true);
  view.setUint32(24, roomPcm.sampleRate, true);
  view.setUint32(28, byteRate, true);
  view.setUint16(32, roomPcm.channels * roomPcm.bytesPerSample, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, 0xffffffff - 36, true);
  return header;
}
