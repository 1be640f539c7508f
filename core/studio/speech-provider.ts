/**
 * Speech synthesis behind one interface: an OpenAI-compatible `/v1/audio/speech` server
 * (openai-speech-provider.ts) or, with nothing configured, Debian's espeak-ng as a separate
 * program (espeak-speech-provider.ts). Providers only speak; asterisk-audio.ts makes what Asterisk plays.
 */
export type SpeechLanguage = "ru" | "en";

export interface SpeechRequest {
  text: string;
  language: SpeechLanguage;
  /** A voice the provider knows; its default voice for the language when absent. */
  voice?: string;
}

export interface SpeechProvider {
  /** The provider and the settings that change its sound (model, speed): part of the synthesis cache key. */
  readonly id: string;
  voiceFor(request: SpeechRequest): string;
  /** Speaks the text into `outPath` as an audio file ffmpeg reads. */
  synthesize(request: SpeechRequest & { voice: string }, outPath: string, signal?: AbortSignal): Promise<void>;
}

export type SpeechErrorCode =
  | "tts.server_unreachable"
  | "tts.timeout"
  | "tts.rate_limited"
  | "tts.server_error"
  | "tts.unauthorized"
  | "tts.request_refused"
  | "tts.garbage_response"
  | "tts.wrong_audio_format"
  | "tts.empty_audio"
  | "tts.undecodable_audio"
  | "tts.silent_audio"
  | "tts.engine_missing"
  | "tts.unknown_voice"
  | "tts.engine_failed"
  | "tts.conversion_failed";

/** Why a text was not spoken; `retryable` says whether the same request may succeed later. */
export class SpeechSynthesisError extends Error {
  constructor(
    readonly code: SpeechErrorCode,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "SpeechSynthesisError";
  }
}
