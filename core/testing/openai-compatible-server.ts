import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCommand } from "../../shared/runtime/process.ts";
import { startHttpServer } from "../../shared/runtime/http-server.ts";
import { acousticModelPath, writeSpeechLanguageModel } from "./speech-language-model.ts";

/**
 * A local server that speaks the OpenAI wire format, standing in for the paid service in tests:
 * `/v1/audio/transcriptions` really transcribes (Debian's pocketsphinx with a language model built
 * from a domain corpus), `/v1/audio/speech` really speaks (espeak-ng, converted by ffmpeg to the
 * format asked for), `/v1/chat/completions` answers as the test tells it to.
 */
export interface ChatCompletionRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  response_format?: { type: string; json_schema?: { name: string; schema: unknown; strict?: boolean } };
  [key: string]: unknown;
}

export type ChatReply =
  | { content: string }
  | { status: number; body?: unknown }
  /** Never answers (until the client gives up). */
  | { hang: true }
  /** Drops the connection without a response. */
  | { drop: true }
  /** Answers a `stream: true` request as server-sent events, one delta per piece; `until` holds the stream until the promise settles. */
  | { stream: StreamPiece[] };

export type StreamPiece = string | { until: Promise<unknown> };

export type ChatBehaviour = (request: ChatCompletionRequest) => ChatReply | Promise<ChatReply>;

/** How a transcription request is answered; null transcribes it. */
export type TranscriptionReply =
  | null
  | { status: number }
  /** Never answers (until the client gives up or goes away). */
  | { hang: true }
  /** Answers 200 with a body that is not JSON. */
  | { invalidJson: true }
  /** Answers 200 with JSON that is not a transcription. */
  | { wrongShape: true }
  /** Transcribes after a pause (a slow server). */
  | { delayMs: number };

export type TranscriptionBehaviour = (request: { number: number; fields: Record<string, string> }) => TranscriptionReply;

/** How a speech request is answered; null speaks it. */
export type SpeechReply =
  | null
  | { status: number }
  /** Never answers (until the client gives up or goes away). */
  | { hang: true }
  /** Answers 200 with a body that is not audio (an HTML error page from a proxy). */
  | { garbage: true }
  /** Answers 200 with speech in another format than the one asked for. */
  | { format: "mp3" | "ogg" }
  /** Speaks after a pause (a slow server). */
  | { delayMs: number }
  /** Speaks once the promise settles (a server that stalls until the test lets it go). */
  | { until: Promise<unknown> };

export interface SpeechRequestBody {
  model: string;
  input: string;
  voice: string;
  response_format?: string;
  [key: string]: unknown;
}

export type SpeechBehaviour = (request: SpeechRequestBody) => SpeechReply;

export interface RecordedRequest {
  path: string;
  authorization: string | null;
  body: unknown;
}

export interface OpenAiCompatibleServer {
  /** Base URL for the openai client, ending in /v1. */
  baseUrl: string;
  requests: RecordedRequest[];
  setChatBehaviour(behaviour: ChatBehaviour): void;
  /** How transcription requests are answered from now on (null: transcribe them all). */
  setTranscriptionBehaviour(behaviour: TranscriptionBehaviour | null): void;
  /** Transcription requests received so far. */
  transcriptionRequests(): number;
  /** How speech requests are answered from now on (null: speak them all). */
  setSpeechBehaviour(behaviour: SpeechBehaviour | null): void;
  stop(): Promise<void>;
}

export async function startOpenAiCompatibleServer(options: { corpus: readonly string[]; apiKey?: string; chat?: ChatBehaviour }): Promise<OpenAiCompatibleServer> {
  const workDirectory = mkdtempSync(join(tmpdir(), "salescontrol-openai-"));
  const { lmPath, dictionaryPath } = writeSpeechLanguageModel(workDirectory, options.corpus);
  let chat: ChatBehaviour = options.chat ?? (() => ({ status: 500, body: openAiError("no chat behaviour configured", "server_error") }));
  let transcriptionBehaviour: TranscriptionBehaviour | null = null;
  let transcriptions = 0;
  let speechBehaviour: SpeechBehaviour | null = null;
  const requests: RecordedRequest[] = [];
  let sequence = 0;

  const server = startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const authorization = request.headers.get("authorization");
      if (options.apiKey && authorization !== `Bearer ${options.apiKey}`) {
        return Response.json(openAiError("Incorrect API key provided", "invalid_request_error", "invalid_api_key"), { status: 401 });
      }
      if (request.method === "GET" && path === "/v1/models") {
        return Response.json({ object: "list", data: [{ id: "pocketsphinx-en-us", object: "model", owned_by: "local" }] });
      }
      if (request.method === "POST" && path === "/v1/audio/transcriptions") {
        const form = await request.formData();
        const fields = Object.fromEntries([...form.entries()].filter((entry): entry is [string, string] => typeof entry[1] === "string"));
        requests.push({ path, authorization, body: fields });
        const reply = transcriptionBehaviour?.({ number: ++transcriptions, fields }) ?? null;
        if (reply && "hang" in reply) return new Promise<Response>(() => {});
        if (reply && "status" in reply) return Response.json(openAiError("transcription unavailable", "server_error"), { status: reply.status });
        if (reply && "invalidJson" in reply) return new Response('{"text": "would you like', { headers: { "content-type": "application/json" } });
        if (reply && "wrongShape" in reply) return Response.json({ transcript: 42 });
        if (reply && "delayMs" in reply) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        const file = form.get("file");
        if (!(file instanceof File)) return Response.json(openAiError("file is required", "invalid_request_error", null, "file"), { status: 400 });
        const id = ++sequence;
        const wav = join(workDirectory, `${id}.wav`);
        const bytes = new Uint8Array(await file.arrayBuffer());
        try {
          // 16 kHz mono 16-bit WAV goes to the recogniser as it is; anything else through ffmpeg first.
          if (isRecogniserWav(bytes)) writeFileSync(wav, bytes);
          else {
            const input = join(workDirectory, `${id}-${file.name.replace(/[^A-Za-z0-9._-]/g, "_")}`);
            writeFileSync(input, bytes);
            const converted = await runCommand("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", input, "-ar", "16000", "-ac", "1", "-f", "wav", wav]);
            rmSync(input, { force: true });
            if (converted.code !== 0) return Response.json(openAiError(`could not decode audio: ${converted.stderr.trim()}`, "invalid_request_error", null, "file"), { status: 400 });
          }
          const recognised = await runCommand("pocketsphinx_continuous", [
            "-infile", wav, "-hmm", acousticModelPath, "-lm", lmPath, "-dict", dictionaryPath, "-time", "yes", "-logfn", "/dev/null",
          ]);
          const duration = wavDurationSeconds(readFileSync(wav));
          const words = parseTimedWords(recognised.stdout);
          const text = words.map((word) => word.word).join(" ");
          const format = String(fields.response_format ?? "json");
          if (format === "text") return new Response(text, { headers: { "content-type": "text/plain" } });
          if (format === "verbose_json") {
            return Response.json({ task: "transcribe", language: whisperLanguageName(String(fields.language ?? "en")), duration, text, segments: segmentsOf(words), words });
          }
          return Response.json({ text });
        } finally {
          rmSync(wav, { force: true });
        }
      }
      if (request.method === "POST" && path === "/v1/audio/speech") {
        const body = (await request.json()) as SpeechRequestBody;
        requests.push({ path, authorization, body });
        if (typeof body.input !== "string" || body.input === "") return Response.json(openAiError("input is required", "invalid_request_error", null, "input"), { status: 400 });
        const reply = speechBehaviour?.(body) ?? null;
        if (reply && "hang" in reply) return new Promise<Response>(() => {});
        if (reply && "status" in reply) return Response.json(openAiError("speech unavailable", "server_error"), { status: reply.status });
        if (reply && "garbage" in reply) return new Response("<html><body>502 Bad Gateway</body></html>", { headers: { "content-type": "audio/wav" } });
        if (reply && "delayMs" in reply) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        if (reply && "until" in reply) await reply.until;
        const format = reply && "format" in reply ? reply.format : (body.response_format ?? "mp3");
        const codecs: Record<string, string[]> = { wav: ["-c:a", "pcm_s16le", "-f", "wav"], mp3: ["-c:a", "libmp3lame", "-f", "mp3"], ogg: ["-c:a", "libopus", "-f", "ogg"] };
        if (!codecs[format]) return Response.json(openAiError(`unsupported response_format ${format}`, "invalid_request_error", null, "response_format"), { status: 400 });
        const id = ++sequence;
        const spoken = join(workDirectory, `${id}-speech.wav`);
        const encoded = join(workDirectory, `${id}-speech.${format}`);
        try {
          const voice = body.voice.startsWith("ru") ? "ru" : "en-us";
          const said = await runCommand("espeak-ng", ["-v", voice, "-w", spoken, body.input]);
          if (said.code !== 0) return Response.json(openAiError(`speech failed: ${said.stderr.trim()}`, "server_error"), { status: 500 });
          await runCommand("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", spoken, ...codecs[format]!, encoded]);
          return new Response(readFileSync(encoded), { headers: { "content-type": format === "wav" ? "audio/wav" : format === "mp3" ? "audio/mpeg" : "audio/ogg" } });
        } finally {
          rmSync(spoken, { force: true });
          rmSync(encoded, { force: true });
        }
      }
      if (request.method === "POST" && path === "/v1/chat/completions") {
        const body = (await request.json()) as ChatCompletionRequest;
        requests.push({ path, authorization, body });
        const reply = await chat(body);
        if ("hang" in reply) return new Promise<Response>(() => {});
        if ("drop" in reply) throw new Error("connection dropped on purpose");
        if ("status" in reply) return Response.json(reply.body ?? openAiError("upstream failure", "server_error"), { status: reply.status });
        if ("stream" in reply) return streamedCompletion(`chatcmpl-${++sequence}`, body.model, reply.stream);
        return Response.json({
          id: `chatcmpl-${++sequence}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: "assistant", content: reply.content, refusal: null }, finish_reason: "stop", logprobs: null }],
          usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
        });
      }
      return Response.json(openAiError(`unknown endpoint ${request.method} ${path}`, "invalid_request_error"), { status: 404 });
    },
  });

  return {
    baseUrl: `${server.url}/v1`,
    requests,
    setChatBehaviour: (behaviour) => {
      chat = behaviour;
    },
    setTranscriptionBehaviour: (behaviour) => {
      transcriptionBehaviour = behaviour;
    },
    transcriptionRequests: () => transcriptions,
    setSpeechBehaviour: (behaviour) => {
      speechBehaviour = behaviour;
    },
    async stop() {
      await server.forceStop();
      rmSync(workDirectory, { recursive: true, force: true });
    },
  };
}

interface TimedWord {
  word: string;
  start: number;
  end: number;
}

/** pocketsphinx `-time yes` prints the hypothesis, then one "word start end confidence" line per word. */
function parseTimedWords(output: string): TimedWord[] {
  const words: TimedWord[] = [];
  for (const line of output.split("\n")) {
    const match = /^(\S+) (\d+\.\d+) (\d+\.\d+) \S+$/.exec(line.trim());
    if (!match) continue;
    const word = match[1]!.replace(/\(\d+\)$/, "");
    if (word.startsWith("<") || word.startsWith("[")) continue;
    words.push({ word, start: Number(match[2]), end: Number(match[3]) });
  }
  return words;
}

/** Words grouped into segments at pauses longer than half a second, as Whisper-style servers return them. */
function segmentsOf(words: TimedWord[]): Array<{ id: number; start: number; end: number; text: string }> {
  const segments: Array<{ id: number; start: number; end: number; text: string }> = [];
  let current: TimedWord[] = [];
  const flush = () => {
    if (current.length === 0) return;
    segments.push({ id: segments.length, start: current[0]!.start, end: current[current.length - 1]!.end, text: current.map((word) => word.word).join(" ") });
    current = [];
  };
  for (const word of words) {
    if (current.length > 0 && word.start - current[current.length - 1]!.end > 0.5) flush();
    current.push(word);
  }
  flush();
  return segments;
}

/** A chat completion as OpenAI streams it: `data: {chunk}` events, then `data: [DONE]`. */
function streamedCompletion(id: string, model: string, pieces: StreamPiece[]): Response {
  const encoder = new TextEncoder();
  const created = Math.floor(Date.now() / 1000);
  const event = (delta: Record<string, unknown>, finish: string | null) =>
    encoder.encode(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`);
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(event({ role: "assistant", content: "" }, null));
      for (const piece of pieces) {
        if (typeof piece === "string") controller.enqueue(event({ content: piece }, null));
        else await piece.until;
      }
      controller.enqueue(event({}, "stop"));
      controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

export function openAiError(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** RIFF/WAVE, PCM, mono, 16 kHz, 16-bit: what pocketsphinx reads directly. */
function isRecogniserWav(bytes: Uint8Array): boolean {
  if (bytes.length < 44) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  return tag(0) === "RIFF" && tag(8) === "WAVE" && tag(12) === "fmt " && view.getUint16(20, true) === 1 && view.getUint16(22, true) === 1 && view.getUint32(24, true) === 16_000 && view.getUint16(34, true) === 16 && tag(36) === "data";
}

function wavDurationSeconds(bytes: Uint8Array): number {
  return Math.max(0, bytes.length - 44) / 2 / 16_000;
}

/** Whisper's verbose_json names the language ("english"), as OpenAI and whisper.cpp do. */
function whisperLanguageName(code: string): string {
  return ({ en: "english", ru: "russian" } as Record<string, string>)[code] ?? code;
}
