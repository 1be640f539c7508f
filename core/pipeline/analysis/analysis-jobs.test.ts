import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { type AnalysisJobPayload, analysisJobPayload, analysisQueueName } from "../../../shared/contracts/analysis-jobs.ts";
import { asrJobPayload, asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import { MetricsRegistry } from "../../../shared/http/metrics.ts";
import type { JobQueue } from "../../../shared/jobs/job-queue.ts";
import { silentLogger } from "../../../shared/log/logger.ts";
import { findFreePort } from "../../../shared/testing/free-port.ts";
import { dialogueAnalyses, dialogues, jobs, upsellOffers } from "../../db/schema.ts";
import { faithfulModel, invalidJsonModel, paraphrasingModel, wrongShapeModel } from "../../testing/chat-behaviours.ts";
import { createTestCore, testInternalToken, type TestCore } from "../../testing/core-test-app.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../../testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "../../testing/sales-corpus.ts";
import { noiseChunk } from "../../testing/test-audio.ts";
import { applyTranscription, scheduleTranscriptions } from "../asr/asr.usecases.ts";
import { dialogueSettingsOf } from "../dialogues/dialogue-settings.ts";
import { JobFailedError } from "../job-lease.ts";
import { createAnalysisJobQueue } from "../analysis/analysis-queue.ts";
import { createAsrJobQueue } from "../asr/asr-queue.ts";
import { applyVadResult } from "../vad/vad.usecases.ts";
import { type LocalAnalysisDeps, registerAnalysisMetrics, runAnalysisJob } from "./analysis-jobs.ts";
import { AnalysisSettingsError, defaultAnalysisSettings, loadAnalysisSettings } from "./analysis-settings.ts";
import { problemsWithAnalysis } from "./analysis.usecases.ts";
import { createUpsellAnalyser, type LlmSettings } from "./upsell-analyser.ts";

const llmKey = "local-llm-key-3";
const english = "hello i would like this phone please would you like to buy a phone case as well yes please i will take it";
const russian = "Здравствуйте, мне этот телефон. Не хотите взять к нему чехол? Он защитит экран при падении. Давайте.";
let server: OpenAiCompatibleServer;
let chunk: Uint8Array;
let core: TestCore;
let queue: JobQueue;
let llm: LlmSettings;

beforeAll(async () => {
  server = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus, apiKey: llmKey });
  chunk = await noiseChunk(4);
});
afterAll(() => server.stop());
beforeEach(async () => {
  core = await createTestCore({ DIALOGUE_SILENCE_GAP_SECONDS: "2" });
  queue = createAnalysisJobQueue(core.database.db, core.clock);
  llm = { endpoint: { baseUrl: server.baseUrl, apiKey: llmKey, timeoutMs: 5000 }, model: "upsell-model", concurrency: 1 };
});
afterEach(() => core.dispose());

const json = async (response: Response) => (await response.json()) as any;
const db = () => core.database.db;

/** A closed, transcribed dialogue whose transcript says `text`, with its analysis job queued. */
async function transcribedDialogue(text: string, language: string | null = "en"): Promise<string> {
  const device = await core.registerDevice();
  const chunkId = randomUUID();
  const startTs = core.clock.now() - 60_000;
  expect((await core.upload(device, { bytes: chunk, chunkId, startTs, endTs: startTs + 4000 })).status).toBe(200);
  const deps = { db: db(), clock: core.clock, logger: silentLogger };
  await applyVadResult({ ...deps, settings: dialogueSettingsOf(core.config) }, chunkId, { audio_ms: 4000, segments: [{ start_ms: 200, end_ms: 1500 }] });
  await scheduleTranscriptions(deps);
  const job = (await createAsrJobQueue(db(), core.clock).claim(asrQueueName))!;
  const payload = asrJobPayload.parse(job.payload);
  expect(await applyTranscription(deps, payload, { text, language, model: "whisper-1", segments: null, audio_ms: 1300, provider_ms: 100, worker: "core" })).toBe("stored");
  return payload.dialogue_id;
}

function localDeps(analyser = createUpsellAnalyser(null)): LocalAnalysisDeps {
  return { db: db(), clock: core.clock, logger: silentLogger, settings: defaultAnalysisSettings, queue, analyser, metrics: registerAnalysisMetrics(new MetricsRegistry()), leaseMs: 60_000 };
}

async function runNextJob(deps = localDeps()): Promise<"ran" | "failed" | "none"> {
  const job = await queue.claim(analysisQueueName);
  if (!job) return "none";
  try {
    await runAnalysisJob(deps, job, new AbortController().signal);
    return "ran";
  } catch (error) {
    if (error instanceof JobFailedError) return "failed";
    throw error;
  }
}

const analysisOf = async (dialogueId: string) => json(await core.admin(`/api/v1/admin/dialogues/${dialogueId}/analysis`));
const analysisJobs = () => db().select().from(jobs).where(eq(jobs.queue, analysisQueueName));

function expectVerbatim(text: string, quote: { text: string; start: number; end: number }) {
  expect(text.slice(quote.start, quote.end)).toBe(quote.text);
}

describe("analysis jobs in the core", () => {
  test("with no LLM, the offline rules analyse an English transcript: offers, reaction, score, rubric, quotes with offsets", async () => {
    const dialogueId = await transcribedDialogue(english);
    expect(await runNextJob()).toBe("ran");
    const analysis = await analysisOf(dialogueId);
    expect(analysis).toMatchObject({ method: "rules", model: null, language: "en", upsell_attempted: true, customer_reaction: "accepted", pass: 1, current: true, worker: "core" });
    expect(analysis.offers).toEqual([{ category: "accessory", category_label: "Accessories", category_labels: { en: "Accessories", ru: "Аксессуары" }, product: "case", quote: { text: "would you like to buy a phone case as well", start: 37, end: 79 } }]);
    expectVerbatim(english, analysis.customer_quote);
    expect(analysis.quality_score).toBe(3 + 2 + 1 + 1);
    expect(analysis.rubric).toBe(defaultAnalysisSettings.rubric.en);
    expect(await json(await core.admin(`/api/v1/admin/dialogues/${dialogueId}`))).toMatchObject({ analysis_status: "DONE", analysis_pass: 1, analysis_error: null });
    const [offer] = await db().select().from(upsellOffers);
    expect(offer).toMatchObject({ position: 0, category: "accessory", quoteStart: 37, quoteEnd: 79 });
  });

  test("a Russian transcript gets the Russian rubric and labels", async () => {
    const dialogueId = await transcribedDialogue(russian, null);
    expect(await runNextJob()).toBe("ran");
    const analysis = await analysisOf(dialogueId);
    expect(analysis).toMatchObject({ method: "rules", language: "ru", customer_reaction: "accepted" });
    expect(analysis.offers[0]).toMatchObject({ category: "accessory", category_label: "Аксессуары", product: "чехол", quote: { text: "Не хотите взять к нему чехол?" } });
    expectVerbatim(russian, analysis.offers[0].quote);
    expect(analysis.rubric).toBe(defaultAnalysisSettings.rubric.ru);
  });

  test("an LLM, when configured, answers through a strict JSON schema; its quotes are located in the transcript", async () => {
    server.setChatBehaviour(faithfulModel(defaultAnalysisSettings));
    const dialogueId = await transcribedDialogue(english);
    expect(await runNextJob(localDeps(createUpsellAnalyser(llm)))).toBe("ran");
    const analysis = await analysisOf(dialogueId);
    expect(analysis).toMatchObject({ method: "llm", model: "upsell-model", upsell_attempted: true, summary: expect.stringMatching(/^model:/) });
    for (const offer of analysis.offers) expectVerbatim(english, offer.quote);
    const request = server.requests.at(-1)!;
    expect(request.authorization).toBe(`Bearer ${llmKey}`);
    expect(request.body).toMatchObject({ model: "upsell-model", response_format: { type: "json_schema", json_schema: { strict: true } } });
  });

  const failures: Array<[string, () => Promise<LlmSettings>, string]> = [
    ["down", async () => ({ ...llm, endpoint: { ...llm.endpoint, baseUrl: `http://127.0.0.1:${await findFreePort()}/v1` } }), "cannot be reached"],
    ["timing out", async () => (server.setChatBehaviour(() => ({ hang: true })), { ...llm, endpoint: { ...llm.endpoint, timeoutMs: 250 } }), "did not answer in time"],
    ["returning 500", async () => (server.setChatBehaviour(() => ({ status: 500 })), llm), "answered 500"],
    ["returning invalid JSON", async () => (server.setChatBehaviour(invalidJsonModel), llm), "analysis.invalid_json"],
    ["answering in the wrong shape", async () => (server.setChatBehaviour(wrongShapeModel), llm), "analysis.invalid_shape"],
    ["quoting words that are not in the transcript", async () => (server.setChatBehaviour(paraphrasingModel(defaultAnalysisSettings)), llm), "analysis.unverifiable_quote"],
  ];
  for (const [name, prepare, reason] of failures) {
    test(`an LLM ${name}: retried with backoff, never stored, then dead with the reason; re-analysis after the fix stores it`, async () => {
      const dialogueId = await transcribedDialogue(english);
      const deps = localDeps(createUpsellAnalyser(await prepare()));
      const attempts = (await analysisJobs())[0]!.maxAttempts;
      expect(attempts).toBe(8);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        expect(await runNextJob(deps)).toBe(attempt < attempts ? "failed" : "ran");
        const [job] = await analysisJobs();
        expect(job!.lastError).toContain(reason);
        if (attempt < attempts) await core.clock.set(job!.runAt);
      }
      expect((await analysisJobs())[0]).toMatchObject({ state: "dead", attempts });
      expect(await db().$count(dialogueAnalyses)).toBe(0);
      const detail = await json(await core.admin(`/api/v1/admin/dialogues/${dialogueId}`));
      expect(detail).toMatchObject({ asr_status: "DONE", analysis_status: "FAILED", analysis_pass: 0 });
      expect(detail.analysis_error).toContain(reason);
      expect((await core.admin(`/api/v1/admin/dialogues/${dialogueId}/analysis`)).status).toBe(404);

      server.setChatBehaviour(faithfulModel(defaultAnalysisSettings));
      const reanalyse = await core.admin(`/api/v1/admin/dialogues/${dialogueId}/reanalyse`, { method: "POST" });
      expect(reanalyse.status).toBe(202);
      expect(await reanalyse.json()).toEqual({ status: "queued", pass: 1 });
      expect(await runNextJob(localDeps(createUpsellAnalyser(llm)))).toBe("ran");
      expect(await analysisOf(dialogueId)).toMatchObject({ method: "llm", pass: 1, current: true });
    });
  }
});

describe("storing an analysis", () => {
  test("quotes must be the transcript's own text at their offsets, categories known, and the answer consistent", () => {
    const good = { method: "llm" as const, model: "m", language: "en" as const, upsell_attempted: true, customer_reaction: "accepted" as const, quality_score: 5, rubric: "r", quality_rationale: "", summary: "", worker: null };
    const offer = { category: "accessory", product: "case", quote: { text: "would you like to buy a phone case as well", start: 37, end: 79 } };
    expect(problemsWithAnalysis(english, { ...good, offers: [offer], customer_quote: null }, defaultAnalysisSettings)).toEqual([]);
    expect(problemsWithAnalysis(english, { ...good, offers: [{ ...offer, quote: { ...offer.quote, start: 36, end: 78 } }], customer_quote: null }, defaultAnalysisSettings)[0]).toContain("is not the transcript's text");
    expect(problemsWithAnalysis(english, { ...good, offers: [{ ...offer, quote: { text: "an extended warranty", start: 0, end: 20 } }], customer_quote: null }, defaultAnalysisSettings)).toHaveLength(1);
    expect(problemsWithAnalysis(english, { ...good, offers: [offer], customer_quote: { text: "no", start: 500, end: 502 } }, defaultAnalysisSettings)).toHaveLength(1);
    expect(problemsWithAnalysis(english, { ...good, offers: [{ ...offer, category: "jewellery" }], customer_quote: null }, defaultAnalysisSettings)[0]).toContain("not a configured category");
    expect(problemsWithAnalysis(english, { ...good, offers: [], customer_quote: null }, defaultAnalysisSettings)).toEqual(["upsell_attempted does not agree with the list of offers"]);
  });

  test("a remote worker's analysis citing words not in the transcript is refused (400) and nothing is stored", async () => {
    const dialogueId = await transcribedDialogue(english);
    const claim = await json(await core.internal("/api/v1/internal/jobs/claim", { method: "POST", body: JSON.stringify({ queues: ["analysis"] }) }));
    expect(analysisJobPayload.parse(claim.job.payload)).toMatchObject({ dialogue_id: dialogueId, text: english, pass: 1 });
    const result = {
      method: "llm",
      model: "m",
      language: "en",
      upsell_attempted: true,
      offers: [{ category: "warranty", product: "warranty", quote: { text: "would you like an extended warranty", start: 37, end: 72 } }],
      customer_reaction: "accepted",
      customer_quote: null,
      quality_score: 7,
      rubric: "r",
      quality_rationale: "",
      summary: "",
      worker: "elsewhere/1",
    };
    const refused = await core.internal(`/api/v1/internal/jobs/${claim.job.job_id}/result`, { method: "POST", body: JSON.stringify({ lease_token: claim.job.lease_token, result }) });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.code).toBe("internal.invalid_result");
    expect(await db().$count(dialogueAnalyses)).toBe(0);
    const fixed = { ...result, offers: [{ category: "accessory", product: "case", quote: { text: "would you like to buy a phone case as well", start: 37, end: 79 } }] };
    const stored = await core.internal(`/api/v1/internal/jobs/${claim.job.job_id}/result`, { method: "POST", body: JSON.stringify({ lease_token: claim.job.lease_token, result: fixed }) });
    expect(stored.status).toBe(200);
    expect(await analysisOf(dialogueId)).toMatchObject({ method: "llm", worker: "elsewhere/1", offers: [{ category: "accessory" }] });
  });

  test("an analysis of a transcript the dialogue has left behind is dropped", async () => {
    const dialogueId = await transcribedDialogue(english);
    const [job] = await analysisJobs();
    const payload: AnalysisJobPayload = JSON.parse(job!.payload);
    await db().update(dialogues).set({ revision: 2 }).where(eq(dialogues.dialogueId, dialogueId));
    expect(await runNextJob()).toBe("ran");
    expect(await db().$count(dialogueAnalyses)).toBe(0);
    expect(payload.revision).toBe(1);
  });
});

describe("admin: analysis and re-analysis", () => {
  test("reading and re-running an analysis; a later pass replaces the earlier one", async () => {
    const dialogueId = await transcribedDialogue(english);
    expect(await runNextJob()).toBe("ran");
    server.setChatBehaviour(faithfulModel(defaultAnalysisSettings));
    const queued = await core.admin(`/api/v1/admin/dialogues/${dialogueId}/reanalyse`, { method: "POST" });
    expect(await queued.json()).toEqual({ status: "queued", pass: 2 });
    expect((await json(await core.admin(`/api/v1/admin/dialogues/${dialogueId}`))).analysis_status).toBe("QUEUED");
    expect((await analysisOf(dialogueId)).current).toBe(false);
    expect(await runNextJob(localDeps(createUpsellAnalyser(llm)))).toBe("ran");
    expect(await analysisOf(dialogueId)).toMatchObject({ method: "llm", pass: 2, current: true });
    expect(await db().$count(dialogueAnalyses)).toBe(2);
  });

  test("errors: unknown or malformed dialogue, nothing transcribed yet, nothing said", async () => {
    const code = async (response: Response) => [response.status, (await json(response)).error.code];
    expect(await code(await core.admin(`/api/v1/admin/dialogues/${randomUUID()}/analysis`))).toEqual([404, "dialogues.not_found"]);
    expect(await code(await core.admin(`/api/v1/admin/dialogues/${randomUUID()}/transcript`))).toEqual([404, "dialogues.not_found"]);
    expect(await code(await core.admin(`/api/v1/admin/dialogues/${randomUUID()}/reanalyse`, { method: "POST" }))).toEqual([404, "dialogues.not_found"]);
    expect(await code(await core.admin("/api/v1/admin/dialogues/..%2Fetc/analysis"))).toEqual([400, "request.invalid"]);
    const empty = await transcribedDialogue("");
    expect(await code(await core.admin(`/api/v1/admin/dialogues/${empty}/reanalyse`, { method: "POST" }))).toEqual([409, "analysis.empty_transcript"]);
    expect(await code(await core.admin(`/api/v1/admin/dialogues/${empty}/analysis`))).toEqual([404, "analysis.not_found"]);
    await db().update(dialogues).set({ asrStatus: "QUEUED" }).where(eq(dialogues.dialogueId, empty));
    expect(await code(await core.admin(`/api/v1/admin/dialogues/${empty}/reanalyse`, { method: "POST" }))).toEqual([409, "analysis.not_transcribed"]);
    expect(await code(await core.admin("/api/v1/admin/pipeline/payroll/retry-failed", { method: "POST" }))).toEqual([400, "request.invalid"]);
  });

  test("security: admin routes refuse a missing or wrong token and the internal token; the settings route wants the internal token", async () => {
    const dialogueId = await transcribedDialogue(english);
    for (const [method, path] of [
      ["GET", `/api/v1/admin/dialogues/${dialogueId}/analysis`],
      ["GET", `/api/v1/admin/dialogues/${dialogueId}/transcript`],
      ["POST", `/api/v1/admin/dialogues/${dialogueId}/reanalyse`],
      ["GET", "/api/v1/admin/pipeline"],
      ["POST", "/api/v1/admin/pipeline/asr/retry-failed"],
    ] as const) {
      expect((await core.app.request(path, { method })).status).toBe(401);
      expect((await core.app.request(path, { method, headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
      expect((await core.app.request(path, { method, headers: { authorization: `Bearer ${testInternalToken}` } })).status).toBe(401);
    }
    expect((await core.app.request("/api/v1/internal/analysis/settings")).status).toBe(401);
    expect((await core.admin("/api/v1/internal/analysis/settings")).status).toBe(401);
    const settings = await json(await core.internal("/api/v1/internal/analysis/settings"));
    expect(settings.settings.categories.map((category: { id: string }) => category.id)).toContain("warranty");
    expect(await db().$count(dialogueAnalyses)).toBe(0);
  });
});

describe("analysis settings file", () => {
  test("a YAML file replaces the categories and the languages it names; the rest stays default", async () => {
    const path = `${core.config.dataDir}/analysis.yaml`;
    writeFileSync(
      path,
      ["categories:", "  - id: flowers", "    label: { ru: Цветы, en: Flowers }", "    keywords: [roses, розы]", "rubric:", "  en: |", "    10: perfect", "system_prompt:", "  ru: Оцени допродажу. {rubric} {categories}"].join("\n"),
    );
    const settings = loadAnalysisSettings(path);
    expect(settings.categories).toEqual([{ id: "flowers", label: { ru: "Цветы", en: "Flowers" }, keywords: ["roses", "розы"] }]);
    expect(settings.rubric).toEqual({ en: "10: perfect\n", ru: defaultAnalysisSettings.rubric.ru });
    expect(settings.systemPrompt).toEqual({ ru: "Оцени допродажу. {rubric} {categories}", en: defaultAnalysisSettings.systemPrompt.en });
    expect(loadAnalysisSettings(undefined)).toBe(defaultAnalysisSettings);
  });

  test("a missing, malformed or invalid file is refused with the reason", () => {
    const path = `${core.config.dataDir}/bad.yaml`;
    expect(() => loadAnalysisSettings(`${core.config.dataDir}/absent.yaml`)).toThrow(AnalysisSettingsError);
    writeFileSync(path, "categories: [");
    expect(() => loadAnalysisSettings(path)).toThrow(/not valid YAML/);
    writeFileSync(path, "categories:\n  - id: Bad Id\n    label: { ru: a, en: b }");
    expect(() => loadAnalysisSettings(path)).toThrow(/lower_snake_case/);
    writeFileSync(path, "colours: [red]");
    expect(() => loadAnalysisSettings(path)).toThrow(/colours/);
    writeFileSync(path, "- a list");
    expect(() => loadAnalysisSettings(path)).toThrow(/must hold a mapping/);
  });
});

