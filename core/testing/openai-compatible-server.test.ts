import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI, { toFile } from "openai";
import { readFileSync } from "node:fs";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "./openai-compatible-server.ts";
import { englishSalesCorpus } from "./sales-corpus.ts";

let server: OpenAiCompatibleServer;
let dir: TempDir;
beforeAll(async () => {
  dir = makeTempDir();
  server = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus, apiKey: "test-key" });
});
afterAll(async () => {
  await server.stop();
  dir.remove();
});

async function speechAsOggOpus(text: string, name: string): Promise<Uint8Array> {
  const wav = dir.join(`${name}.wav`);
  const ogg = dir.join(`${name}.ogg`);
  expect((await runCommand("espeak-ng", ["-v", "en-us", "-s", "140", "-w", wav, text])).code).toBe(0);
  expect((await runCommand("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", wav, "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "24k", ogg])).code).toBe(0);
  return readFileSync(ogg);
}

describe("OpenAI-compatible test server", () => {
  test("transcribes real speech through the openai client, with timed segments", async () => {
    const client = new OpenAI({ apiKey: "test-key", baseURL: server.baseUrl });
    const audio = await speechAsOggOpus("Would you like to add a warranty to your new laptop today?", "offer");
    const result = await client.audio.transcriptions.create({ file: await toFile(audio, "offer.ogg", { type: "audio/ogg" }), model: "whisper-1", language: "en", response_format: "verbose_json" });
    expect(result.text).toContain("warranty");
    expect(result.text).toContain("would you like");
    expect(result.segments?.length).toBeGreaterThan(0);
    expect(result.segments![0]!.start).toBeGreaterThanOrEqual(0);
    expect(result.duration).toBeGreaterThan(1);
  });

  test("different speech gives a different transcript; silence gives none", async () => {
    const client = new OpenAI({ apiKey: "test-key", baseURL: server.baseUrl });
    const decline = await client.audio.transcriptions.create({ file: await toFile(await speechAsOggOpus("No thank you, not today.", "decline"), "d.ogg"), model: "whisper-1" });
    expect(decline.text).toContain("no thank you");
    expect(decline.text).not.toContain("warranty");
    const silence = dir.join("silence.wav");
    await runCommand("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "2", silence]);
    const quiet = await client.audio.transcriptions.create({ file: await toFile(readFileSync(silence), "s.wav"), model: "whisper-1" });
    expect(quiet.text).toBe("");
  });

  test("refuses a wrong API key the way OpenAI does", async () => {
    const client = new OpenAI({ apiKey: "wrong", baseURL: server.baseUrl, maxRetries: 0 });
    const failure = await client.models.list().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ status: 401 });
  });

  test("answers chat completions as configured", async () => {
    const client = new OpenAI({ apiKey: "test-key", baseURL: server.baseUrl, maxRetries: 0 });
    server.setChatBehaviour(() => ({ content: '{"ok":true}' }));
    const completion = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(completion.choices[0]!.message.content).toBe('{"ok":true}');
    server.setChatBehaviour(() => ({ status: 503 }));
    const failure = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ status: 503 });
  });
});
