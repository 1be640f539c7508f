import { writeFile } from "node:fs/promises";
import { sniffAudioContainer } from "../../shared/audio/wav-format.ts";
import { lazyOpenAiClient, type OpenAiEndpoint } from "../pipeline/openai-client.ts";
import { type SpeechProvider, SpeechSynthesisError } from "./speech-provider.ts";

export interface OpenAiSpeechSettings {
  endpoint: OpenAiEndpoint;
  model: string;
  /** The voice when a campaign names none (TTS_VOICE). */
  voice: string;
}

/**
 * Speech from an OpenAI-compatible `/v1/audio/speech` server (speaches with Piper on-prem, OpenAI's
 * API). It is asked for WAV; anything else is refused with what it was, and every failure becomes a
 * SpeechSynthesisError saying whether a retry can help.
 */
export function createOpenAiSpeechProvider(settings: OpenAiSpeechSettings): SpeechProvider {
  const clientOf = lazyOpenAiClient(settings.endpoint);
  return {
    id: `openai-compatible:${settings.endpoint.baseUrl}:${settings.model}`,
    voiceFor: (request) => request.voice ?? settings.voice,
    async synthesize(request, outPath, signal) {
      const client = await clientOf();
      // The client's timeout ends at the response headers; this one also covers a body that trickles.
      const deadline = AbortSignal.timeout(settings.endpoint.timeoutMs);
      const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
      let bytes: Uint8Array;
      try {
        const response = await client.audio.speech.create(
          { model: settings.model, voice: request.voice, input: request.text, response_format: "wav" },
          { timeout: settings.endpoint.timeoutMs, maxRetries: 0, signal: combined },
        );
        bytes = new Uint8Array(await response.arrayBuffer());
      } catch (error) {
        if (signal?.aborted) throw error;
        throw await speechErrorOf(error, deadline.aborted, settings.endpoint.timeoutMs);
      }
      checkSpeechBody(bytes);
      await writeFile(outPath, bytes);
    },
  };
}

/** The body must be a WAV file: what it is otherwise, named. */
export function checkSpeechBody(bytes: Uint8Array): void {
  if (bytes.length === 0) throw new SpeechSynthesisError("tts.empty_audio", "the speech server answered with an empty body", true);
  const container = sniffAudioContainer(bytes);
  if (container === "a WAV file") return;
  if (container) throw new SpeechSynthesisError("tts.wrong_audio_format", `asked for WAV, the speech server sent ${container}; configure it to answer response_format=wav`, false);
  const start = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, 120)).replace(/[^\x20-\x7e]+/g, "?");
  throw new SpeechSynthesisError("tts.garbage_response", `the speech server's answer is not audio (${bytes.length} bytes starting ${JSON.stringify(start)})`, true);
}

async function speechErrorOf(error: unknown, timedOut: boolean, timeoutMs: number): Promise<SpeechSynthesisError> {
  const { default: OpenAiClient } = await import("openai");
  if (timedOut || error instanceof OpenAiClient.APIConnectionTimeoutError) {
    return new SpeechSynthesisError("tts.timeout", `the speech server did not answer within ${Math.round(timeoutMs / 1000)} s`, true);
  }
  if (error instanceof OpenAiClient.APIConnectionError) {
    return new SpeechSynthesisError("tts.server_unreachable", `the speech server cannot be reached (${(error.cause as Error | undefined)?.message ?? error.message})`, true);
  }
  if (error instanceof OpenAiClient.APIError && typeof error.status === "number") {
    const said = `the speech server answered ${error.status}: ${error.message.slice(0, 300)}`;
    if (error.status === 401 || error.status === 403) return new SpeechSynthesisError("tts.unauthorized", `${said} (check TTS_API_KEY)`, false);
    if (error.status === 429) return new SpeechSynthesisError("tts.rate_limited", said, true);
    if (error.status >= 500) return new SpeechSynthesisError("tts.server_error", said, true);
    return new SpeechSynthesisError("tts.request_refused", `${said} (check TTS_MODEL and the voice)`, false);
  }
  return new SpeechSynthesisError("tts.server_unreachable", `the speech request failed: ${(error as Error).message?.slice(0, 300) ?? String(error)}`, true);
}

