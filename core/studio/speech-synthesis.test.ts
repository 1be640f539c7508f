import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { asteriskWavProblem, inspectWavHeader } from "../../shared/audio/wav-format.ts";
import { loadConfig } from "../../shared/config/config-loader.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { openAiEndpointOf } from "../pipeline/openai-client.ts";
import { type OpenAiCompatibleServer, type SpeechRequestBody, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";
import { measureLoudness, studioLoudness } from "./asterisk-audio.ts";
import { createEspeakSpeechProvider } from "./espeak-speech-provider.ts";
import { createOpenAiSpeechProvider } from "./openai-speech-provider.ts";
import { type SpeechProvider, SpeechSynthesisError } from "./speech-provider.ts";
import { createSpeechProvider, speechSettingsOf } from "./speech-settings.ts";
import { studioConfig } from "./studio.config.ts";
import { createSynthesisCache } from "./synthesis-cache.ts";

let dir: TempDir;
let server: OpenAiCompatibleServer;
beforeAll(async () => {
  dir = makeTempDir();
  server = await startOpenAiCompatibleServer({ corpus: ["hello"], apiKey: "tts-key" });
});
afterAll(async () => {
  await server.stop();
  dir.remove();
});

let cacheNumber = 0;
function freshCache(provider: SpeechProvider) {
  const directory = dir.join(`cache-${++cacheNumber}`);
  return { directory, cache: createSynthesisCache({ directory, provider }) };
}

function asteriskFormatOf(path: string) {
  const bytes = new Uint8Array(readFileSync(path));
  const inspected = inspectWavHeader(bytes, bytes.length);
  if (inspected.status !== "ok") throw new Error(`${path}: ${JSON.stringify(inspected)}`);
  return inspected.format;
}

async function failureOf(promise: Promise<unknown>): Promise<SpeechSynthesisError> {
  const failure = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(failure instanceof SpeechSynthesisError)) throw new Error(`expected a SpeechSynthesisError, got ${String(failure)}`);
  return failure;
}

/** Files left in a cache directory (a failed synthesis must leave none). */
function filesUnder(directory: string): string[] {
  try {
    return readdirSync(directory, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

describe("speech synthesis with espeak-ng and ffmpeg", () => {
  test("Russian and English speech as Asterisk plays it: PCM WAV, mono, 16-bit, 8000 Hz, with a G.711 µ-law sibling", async () => {
    const { cache } = freshCache(createEspeakSpeechProvider());
    for (const request of [{ text: "Здравствуйте, Мария! Это Анна из компании Акме.", language: "ru" as const }, { text: "Hello Maria, this is Anna from Acme Telecom.", language: "en" as const }]) {
      const speech = await cache.speak(request, { ulaw: true });
      const format = asteriskFormatOf(speech.wavPath);
      expect(asteriskWavProblem(format)).toBeNull();
      expect(format.durationMs).toBeGreaterThan(1500);
      expect(speech.durationMs).toBe(format.durationMs);
      expect(readFileSync(speech.ulawPath!).length).toBe(format.dataBytes / 2);
      const probe = await runCommand("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,bits_per_sample", "-of", "csv=p=0", speech.wavPath]);
      expect(probe.stdout.trim()).toBe("pcm_s16le,8000,1,16");
    }
  });

  test("every clip reaches the same loudness, however loud the voice spoke it (measured with EBU R128)", async () => {
    const quiet = createEspeakSpeechProvider({ amplitude: 15 });
    const loud = createEspeakSpeechProvider({ amplitude: 200 });
    const texts = [
      { text: "Hello James.", language: "en" as const },
      { text: "Our fibre plan costs forty nine dollars a month, and the first month is free for new customers.", language: "en" as const },
      { text: "Здравствуйте! Мы снизим ваш счёт за интернет уже в этом месяце.", language: "ru" as const },
    ];
    const raw: number[] = [];
    const normalised: number[] = [];
    for (const provider of [quiet, loud]) {
      const { cache } = freshCache(provider);
      for (const request of texts) {
        const spokenPath = dir.join(`raw-${raw.length}.wav`);
        await provider.synthesize({ ...request, voice: provider.voiceFor(request) }, spokenPath);
        raw.push((await measureLoudness({ path: spokenPath })).integratedLufs);
        const speech = await cache.speak(request);
        const measured = await measureLoudness({ path: speech.wavPath });
        normalised.push(measured.integratedLufs);
        expect(measured.truePeakDbtp).toBeLessThan(0);
      }
    }
    // Without normalisation the clips differ by more than 20 LU; after it, each is within 1 LU of the target.
    expect(Math.max(...raw) - Math.min(...raw)).toBeGreaterThan(20);
    for (const loudness of normalised) expect(Math.abs(loudness - studioLoudness.targetLufs)).toBeLessThan(1);
  });

  test("the same text is synthesised once and shared; another voice, language or text is another clip", async () => {
    const { directory, cache } = freshCache(createEspeakSpeechProvider());
    const offer = { text: "This week only, new customers get three months at half price.", language: "en" as const };
    const together = await Promise.all(Array.from({ length: 5 }, () => cache.speak(offer)));
    expect(new Set(together.map((speech) => speech.wavPath)).size).toBe(1);
    expect(together.filter((speech) => speech.synthesized).length).toBe(1);
    const again = await cache.speak(offer, { ulaw: true });
    expect(again).toMatchObject({ wavPath: together[0]!.wavPath, synthesized: false });
    expect(readFileSync(again.ulawPath!).length).toBe(asteriskFormatOf(again.wavPath).dataBytes / 2);
    expect(cache.counts()).toEqual({ synthesized: 1, reused: 5 });
    const keys = new Set([cache.keyOf(offer), cache.keyOf({ ...offer, voice: "en-gb" }), cache.keyOf({ ...offer, language: "ru" }), cache.keyOf({ ...offer, text: `${offer.text} ` })]);
    expect(keys.size).toBe(4);
    // A new process finds the clip on disk.
    const reopened = createSynthesisCache({ directory, provider: createEspeakSpeechProvider() });
    expect(await reopened.speak(offer)).toMatchObject({ wavPath: together[0]!.wavPath, synthesized: false });
    expect(filesUnder(directory).sort()).toEqual([`${cache.keyOf(offer)}.ulaw`, `${cache.keyOf(offer)}.wav`]);
  });

  test("a text starting with a dash is spoken, not taken for an option", async () => {
    const { cache } = freshCache(createEspeakSpeechProvider());
    const speech = await cache.speak({ text: "-v xx hello there, this is a test", language: "en" });
    expect(asteriskFormatOf(speech.wavPath).durationMs).toBeGreaterThan(1000);
  });

  test("espeak-ng failures are typed and final: an unknown voice, a voice name that is not one, a missing program", async () => {
    const { directory, cache } = freshCache(createEspeakSpeechProvider());
    const unknown = await failureOf(cache.speak({ text: "Hello", language: "en", voice: "xx-nope" }));
    expect([unknown.code, unknown.retryable, unknown.message]).toEqual(["tts.unknown_voice", false, "espeak-ng has no voice xx-nope"]);
    expect((await failureOf(cache.speak({ text: "Hello", language: "en", voice: "--help" }))).code).toBe("tts.unknown_voice");
    const missing = await failureOf(createSynthesisCache({ directory, provider: createEspeakSpeechProvider({ command: "espeak-ng-not-installed" }) }).speak({ text: "Hello", language: "en" }));
    expect([missing.code, missing.retryable]).toEqual(["tts.engine_missing", false]);
    expect(filesUnder(directory)).toEqual([]);
  });

  test("text that speaks as silence is refused instead of being amplified into noise", async () => {
    const { cache } = freshCache(createEspeakSpeechProvider());
    const silent = await failureOf(cache.speak({ text: "...", language: "en" }));
    expect([silent.code, silent.retryable]).toEqual(["tts.silent_audio", false]);
  });
});

describe("speech synthesis through an OpenAI-compatible /v1/audio/speech server", () => {
  const provider = (timeoutSeconds = 10, baseUrl = server.baseUrl, apiKey = "tts-key") =>
    createOpenAiSpeechProvider({ endpoint: openAiEndpointOf({ baseUrl, apiKey, timeoutSeconds })!, model: "piper-en", voice: "en_US-amy" });
  const request = { text: "Hello Maria, this is Anna from Acme Telecom.", language: "en" as const };

  test("asks for WAV with the model, voice and key, and makes it what Asterisk plays at the target loudness", async () => {
    server.setSpeechBehaviour(null);
    server.requests.length = 0;
    const { cache } = freshCache(provider());
    const speech = await cache.speak(request, { ulaw: true });
    expect(asteriskWavProblem(asteriskFormatOf(speech.wavPath))).toBeNull();
    expect(Math.abs((await measureLoudness({ path: speech.wavPath })).integratedLufs - studioLoudness.targetLufs)).toBeLessThan(1);
    const sent = server.requests.find((recorded) => recorded.path === "/v1/audio/speech")!;
    expect(sent.authorization).toBe("Bearer tts-key");
    expect(sent.body as SpeechRequestBody).toMatchObject({ model: "piper-en", voice: "en_US-amy", input: request.text, response_format: "wav" });
    const campaignVoice = await freshCache(provider()).cache.speak({ ...request, voice: "ru_RU-irina" });
    expect(campaignVoice.synthesized).toBe(true);
    expect((server.requests.at(-1)!.body as SpeechRequestBody).voice).toBe("ru_RU-irina");
  });

  test.each([
    ["a server that is down", "down", "tts.server_unreachable", true, "cannot be reached"],
    ["a slow server", { hang: true }, "tts.timeout", true, "did not answer within 1 s"],
    ["a garbage body", { garbage: true }, "tts.garbage_response", true, "502 Bad Gateway"],
    ["the wrong audio format", { format: "mp3" }, "tts.wrong_audio_format", false, "sent an MP3 file"],
    ["a server error", { status: 503 }, "tts.server_error", true, "answered 503"],
    ["a rate limit", { status: 429 }, "tts.rate_limited", true, "answered 429"],
    ["a refused request", { status: 404 }, "tts.request_refused", false, "check TTS_MODEL"],
    ["a wrong key", "bad-key", "tts.unauthorized", false, "check TTS_API_KEY"],
  ] as const)("%s is a typed error with its reason, and leaves nothing in the cache", async (_name, behaviour, code, retryable, reason) => {
    let chosen = provider(1);
    if (behaviour === "down") chosen = provider(1, `http://127.0.0.1:${await findFreePort()}/v1`);
    else if (behaviour === "bad-key") chosen = provider(1, server.baseUrl, "wrong-key");
    else server.setSpeechBehaviour(() => behaviour);
    const { directory, cache } = freshCache(chosen);
    const failure = await failureOf(cache.speak(request));
    server.setSpeechBehaviour(null);
    expect([failure.code, failure.retryable]).toEqual([code, retryable]);
    expect(failure.message).toContain(reason);
    expect(filesUnder(directory)).toEqual([]);
  });
});

describe("speech settings", () => {
  const configOf = (env: Record<string, string>) => loadConfig(studioConfig, { env, dotenvPath: null, file: null }).values;

  test("nothing configured speaks with espeak-ng; TTS_BASE_URL names the server, model and voice", () => {
    expect(speechSettingsOf(configOf({}))).toEqual({ provider: "espeak-ng" });
    expect(speechSettingsOf(configOf({ OPENAI_API_KEY: "sk-not-for-speech" }))).toEqual({ provider: "espeak-ng" });
    expect(speechSettingsOf(configOf({ TTS_BASE_URL: "http://gpu-host:8000/v1", TTS_MODEL: "speaches-ai/piper-ru_RU-irina-medium", TTS_VOICE: "irina", TTS_TIMEOUT_SECONDS: "30" }))).toEqual({
      provider: "openai-compatible",
      server: { endpoint: { baseUrl: "http://gpu-host:8000/v1", apiKey: "no-key", timeoutMs: 30_000 }, model: "speaches-ai/piper-ru_RU-irina-medium", voice: "irina" },
    });
    expect(createSpeechProvider(speechSettingsOf(configOf({}))).id).toStartWith("espeak-ng:");
    expect(createSpeechProvider(speechSettingsOf(configOf({ TTS_API_KEY: "sk-speech" }))).id).toBe("openai-compatible:https://api.openai.com/v1:tts-1");
  });

  test("a bad setting names its key", () => {
    expect(() => configOf({ TTS_BASE_URL: "gpu-host:8000" })).toThrow("TTS_BASE_URL");
    expect(() => configOf({ TTS_TIMEOUT_SECONDS: "0" })).toThrow("TTS_TIMEOUT_SECONDS");
  });
});
