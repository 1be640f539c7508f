import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { asteriskWav, asteriskWavProblem, encodeMuLaw, encodePcmWav, inspectWavHeader } from "../../shared/audio/wav-format.ts";

/**
 * What the dialer hears when a lead's audio is missing: a 404 on a live call is dead air, so every
 * audio request gets playable audio. The prompt is the configured DEFAULT_PROMPT_PATH (checked at
 * start) or, without one, a second of silence; a campaign may name its own (manifest default_audio).
 */
export interface PromptAudio {
  body: Blob;
  etag: string;
}

export interface DefaultPrompt {
  /** Where it came from, for /health and logs. */
  source: string;
  wav: PromptAudio;
  ulaw: PromptAudio;
}

export class DefaultPromptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DefaultPromptError";
  }
}

export async function loadDefaultPrompt(path: string | undefined): Promise<DefaultPrompt> {
  if (!path) return promptFromPcm(new Uint8Array(asteriskWav.sampleRate * 2), "built-in: one second of silence");
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new DefaultPromptError(`DEFAULT_PROMPT_PATH ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const inspected = inspectWavHeader(bytes, bytes.length);
  if (inspected.status !== "ok") throw new DefaultPromptError(`DEFAULT_PROMPT_PATH ${path} is ${inspected.status === "invalid" ? inspected.reason : "an incomplete WAV file"}`);
  const problem = asteriskWavProblem(inspected.format);
  if (problem) throw new DefaultPromptError(`DEFAULT_PROMPT_PATH ${path} is ${problem}; convert it with: ffmpeg -i in.wav -ar 8000 -ac 1 -c:a pcm_s16le out.wav`);
  const pcm = bytes.subarray(inspected.format.dataOffset, inspected.format.dataOffset + inspected.format.dataBytes);
  return { source: path, wav: promptAudio(bytes), ulaw: promptAudio(encodeMuLaw(pcm)) };
}

function promptFromPcm(pcm: Uint8Array, source: string): DefaultPrompt {
  return { source, wav: promptAudio(encodePcmWav(pcm)), ulaw: promptAudio(encodeMuLaw(pcm)) };
}

function promptAudio(bytes: Uint8Array): PromptAudio {
  return { body: new Blob([bytes]), etag: `"${createHash("sha256").update(bytes).digest("hex")}"` };
}
