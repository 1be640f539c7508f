/**
 * The whole pipeline through the real API: English speech (espeak-ng) over shop noise is uploaded
 * as a recorder does, found by the VAD, joined into a dialogue, transcribed by a real offline
 * recogniser behind the OpenAI wire format, and analysed for upsell attempts with quotes that are
 * verbatim spans of the transcript.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { faithfulModel, paraphrasingModel } from "../testing/chat-behaviours.ts";
import { createTestCore, type TestCore } from "../testing/core-test-app.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";
import { startTestPipeline, startTickingClock, waitFor } from "../testing/pipeline-test-kit.ts";
import { englishSalesCorpus } from "../testing/sales-corpus.ts";
import { conversationChunk } from "../testing/test-audio.ts";
import { defaultAnalysisSettings } from "./analysis/analysis-settings.ts";

const providerKey = "local-provider-key-1";
let server: OpenAiCompatibleServer;
let conversation: Awaited<ReturnType<typeof conversationChunk>>;
let core: TestCore | null = null;

beforeAll(async () => {
  server = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus, apiKey: providerKey });
  conversation = await conversationChunk({
    seconds: 9,
    sentences: [
      { text: "Would you like to buy a phone case as well?", voice: "en-us", atMs: 800 },
      { text: "Yes please, I will take it.", voice: "en+f3", atMs: 4300 },
    ],
  });
});
afterAll(() => server.stop());
afterEach(() => core?.dispose());

const json = async (response: Response) => (await response.json()) as any;

/** Uploads the conversation through the ingest API and runs the core's pipeline until the dialogue is analysed. */
async function uploadAndProcess(env: Record<string, string>, until: (dialogue: any) => boolean) {
  core = await createTestCore({
    TRANSCRIPTION_BASE_URL: server.baseUrl,
    TRANSCRIPTION_API_KEY: providerKey,
    TRANSCRIPTION_LANGUAGE: "en",
    DIALOGUE_SILENCE_GAP_SECONDS: "2",
    ...env,
  });
  const device = await core.registerDevice();
  const startTs = core.clock.now() - 60_000;
  expect((await core.upload(device, { bytes: conversation.bytes, chunkId: randomUUID(), startTs, endTs: startTs + 9000 })).status).toBe(200);
  const clock = startTickingClock(core.clock);
  const pipeline = startTestPipeline(core);
  try {
    const activeCore = core;
    return await waitFor("the dialogue to be transcribed and analysed", async () => {
      const [dialogue] = (await json(await activeCore.admin("/api/v1/admin/dialogues"))).dialogues;
      return dialogue && until(dialogue) ? dialogue : null;
    });
  } finally {
    await pipeline.stop();
    clock.stop();
  }
}

function expectVerbatim(text: string, quote: { text: string; start: number; end: number }) {
  expect(quote.text.length).toBeGreaterThan(0);
  expect(text.slice(quote.start, quote.end)).toBe(quote.text);
}

describe("speech → upload → VAD → dialogue → transcript → analysis", () => {
  test("with no LLM configured, the offline analyser finds the offer and the acceptance in the real transcript", async () => {
    const dialogue = await uploadAndProcess({}, (row) => row.analysis_status === "DONE");
    expect(dialogue).toMatchObject({ status: "closed", asr_status: "DONE", asr_pass: 1, analysis_pass: 1 });

    const transcript = await json(await core!.admin(`/api/v1/admin/dialogues/${dialogue.dialogue_id}/transcript`));
    expect(transcript).toMatchObject({ current: true, pass: 1, revision: dialogue.revision, language: "en", model: "whisper-1", worker: "core" });
    expect(transcript.text).toContain("would you like to buy a phone case");
    expect(transcript.text).toContain("i will take it");
    expect(transcript.audio_ms).toBeGreaterThan(3000);
    expect(transcript.segments.length).toBeGreaterThan(0);
    for (const segment of transcript.segments) expect(segment.end_ms).toBeLessThanOrEqual(Date.parse(dialogue.end_ts) - Date.parse(dialogue.start_ts) + 1000);

    const analysis = await json(await core!.admin(`/api/v1/admin/dialogues/${dialogue.dialogue_id}/analysis`));
    expect(analysis).toMatchObject({ method: "rules", model: null, language: "en", upsell_attempted: true, customer_reaction: "accepted", current: true, transcript_id: transcript.transcript_id });
    expect(analysis.offers[0]).toMatchObject({ category: "accessory", category_label: "Accessories" });
    expect(analysis.offers[0].quote.text).toContain("phone case");
    for (const offer of analysis.offers) expectVerbatim(transcript.text, offer.quote);
    expectVerbatim(transcript.text, analysis.customer_quote);
    expect(analysis.quality_score).toBeGreaterThanOrEqual(5);
    expect(analysis.rubric).toContain("+3: the seller offered something");

    const health = await json(await core!.admin("/health"));
    expect(health.transcription).toMatchObject({ server: server.baseUrl, model: "whisper-1", inProcess: true, audioSentTo: expect.stringContaining(server.baseUrl), queue: { queued: 0, running: 0, dead: 0 } });
    expect(health.analysis).toMatchObject({ method: "rules", server: null, queue: { queued: 0, running: 0, dead: 0 } });

    // The transcription server heard one 16 kHz WAV with its format in the name, in the configured language.
    const sent = server.requests.filter((request) => request.path === "/v1/audio/transcriptions").at(-1)!;
    expect(sent.body).toMatchObject({ model: "whisper-1", language: "en", response_format: "verbose_json" });
    expect(sent.authorization).toBe(`Bearer ${providerKey}`);
  });

  test("an LLM replaces the rules when configured; an answer quoting words not in the transcript is rejected and retried, never stored", async () => {
    let answers = 0;
    const paraphrasing = paraphrasingModel(defaultAnalysisSettings);
    const faithful = faithfulModel(defaultAnalysisSettings);
    server.setChatBehaviour((request) => (++answers === 1 ? paraphrasing(request) : faithful(request)));
    const dialogue = await uploadAndProcess({ LLM_BASE_URL: server.baseUrl, LLM_API_KEY: providerKey, LLM_MODEL: "upsell-model" }, (row) => row.analysis_status === "DONE");
    expect(answers).toBe(2);
    expect(dialogue.analysis_pass).toBe(1);
    const transcript = await json(await core!.admin(`/api/v1/admin/dialogues/${dialogue.dialogue_id}/transcript`));
    const analysis = await json(await core!.admin(`/api/v1/admin/dialogues/${dialogue.dialogue_id}/analysis`));
    expect(analysis).toMatchObject({ method: "llm", model: "upsell-model", upsell_attempted: true, customer_reaction: "accepted" });
    expect(analysis.summary).toStartWith("model:");
    for (const offer of analysis.offers) expectVerbatim(transcript.text, offer.quote);
    expect(JSON.stringify(analysis)).not.toContain("Perhaps you might consider");
    expect(await core!.database.client.execute("SELECT count(*) AS n FROM dialogue_analyses").then((result) => Number(result.rows[0]!.n))).toBe(1);
  });
});
