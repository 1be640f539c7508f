import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { analysisQueueName } from "../../../shared/contracts/analysis-jobs.ts";
import { asrJobPayload, asrQueueName } from "../../../shared/contracts/asr-jobs.ts";
import { MetricsRegistry } from "../../../shared/http/metrics.ts";
import type { JobQueue } from "../../../shared/jobs/job-queue.ts";
import { silentLogger } from "../../../shared/log/logger.ts";
import { runCommand } from "../../../shared/runtime/process.ts";
import { findFreePort } from "../../../shared/testing/free-port.ts";
import { dialogues, dialogueTranscripts, jobs } from "../../db/schema.ts";
import { createTestCore, type TestCore, type TestDevice } from "../../testing/core-test-app.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../../testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "../../testing/sales-corpus.ts";
import { noiseChunk, speechChunk } from "../../testing/test-audio.ts";
import { dialogueSettingsOf } from "../dialogues/dialogue-settings.ts";
import { createStoredChunkSource } from "../chunk-audio-source.ts";
import { JobFailedError } from "../job-lease.ts";
import { createAsrJobQueue } from "./asr-queue.ts";
import { createOpusPcmDecoder, type OpusPcmDecoder } from "../vad/opus-pcm-decoder.ts";
import { applyVadResult } from "../vad/vad.usecases.ts";
import { type LocalAsrDeps, registerAsrMetrics, runAsrJob } from "./asr-jobs.ts";
import { applyTranscription, scheduleTranscriptions } from "./asr.usecases.ts";
import { assembleDialogueAudio } from "./dialogue-audio.ts";
import { createTranscriptionProvider, languageCodeOf, type TranscriptionFailedError, type TranscriptionSettings, transcriptionSettingsOf } from "./transcription-provider.ts";

const providerKey = "local-provider-key-2";
let server: OpenAiCompatibleServer;
let decoder: OpusPcmDecoder;
let speech: Awaited<ReturnType<typeof speechChunk>>;
let core: TestCore;
let device: TestDevice;
let queue: JobQueue;
let settings: TranscriptionSettings;

beforeAll(async () => {
  server = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus, apiKey: providerKey });
  decoder = await createOpusPcmDecoder();
  speech = await speechChunk({ seconds: 4, atMs: 500, text: "How much is it?" });
});
afterAll(async () => {
  decoder.free();
  await server.stop();
});
beforeEach(async () => {
  server.setTranscriptionBehaviour(null);
  core = await createTestCore({ TRANSCRIPTION_BASE_URL: server.baseUrl, TRANSCRIPTION_API_KEY: providerKey, DIALOGUE_SILENCE_GAP_SECONDS: "3" });
  device = await core.registerDevice();
  queue = createAsrJobQueue(core.database.db, core.clock);
  settings = transcriptionSettingsOf(core.config)!;
});
afterEach(() => core.dispose());

const json = async (response: Response) => (await response.json()) as any;
const db = () => core.database.db;

function localDeps(overrides: Partial<LocalAsrDeps> = {}): LocalAsrDeps {
  return {
    db: db(),
    clock: core.clock,
    logger: silentLogger,
    queue,
    source: createStoredChunkSource(db(), core.storage),
    provider: createTranscriptionProvider(settings),
    metrics: registerAsrMetrics(new MetricsRegistry()),
    leaseMs: 60_000,
    ...overrides,
  };
}

/** A stored chunk with the sentence's speech recorded as VAD would find it; the silence after it closes the dialogue. */
async function dialogueWithSpeech(startTs = core.clock.now() - 60_000, bytes = speech.bytes): Promise<{ chunkId: string; dialogueId: string }> {
  const chunkId = randomUUID();
  expect((await core.upload(device, { bytes, chunkId, startTs, endTs: startTs + 4000 })).status).toBe(200);
  await applyVadResult({ db: db(), clock: core.clock, settings: dialogueSettingsOf(core.config) }, chunkId, {
    audio_ms: 4000,
    segments: [{ start_ms: speech.speech.startMs - 300, end_ms: speech.speech.endMs + 100 }],
  });
  const [dialogue] = await db().select().from(dialogues).where(eq(dialogues.pointId, device.pointId));
  return { chunkId, dialogueId: dialogue!.dialogueId };
}

async function runNextJob(deps = localDeps()): Promise<"ran" | "failed" | "none"> {
  const job = await queue.claim(asrQueueName);
  if (!job) return "none";
  try {
    await runAsrJob(deps, decoder, job, new AbortController().signal);
    return "ran";
  } catch (error) {
    if (error instanceof JobFailedError) return "failed";
    throw error;
  }
}

const dialogueRow = async (dialogueId: string) => (await db().select().from(dialogues).where(eq(dialogues.dialogueId, dialogueId)))[0]!;
const asrJobs = () => db().select().from(jobs).where(eq(jobs.queue, asrQueueName));

describe("the transcription provider (OpenAI wire format)", () => {
  test("verbose_json gives text, timed segments and a language code; json gives text alone", async () => {
    const wav = await assembleDialogueAudio(
      { dialogue_id: randomUUID(), revision: 1, start_ts: 0, segments: [{ chunk_id: randomUUID(), start_ts: 0, offset_start_ms: 0, offset_end_ms: 4000 }] },
      { read: async () => speech.bytes },
      decoder,
    );
    const verbose = await createTranscriptionProvider(settings).transcribe(wav.parts[0]!.wav);
    expect(verbose.text).toContain("how much is it");
    expect(verbose.language).toBe("en");
    expect(verbose.segments!.length).toBeGreaterThan(0);
    expect(verbose.segments![0]!.start).toBeGreaterThanOrEqual(0);
    const plain = await createTranscriptionProvider({ ...settings, responseFormat: "json", language: "en" }).transcribe(wav.parts[0]!.wav);
    expect(plain).toEqual({ text: verbose.text, language: "en", segments: null });
    expect(server.requests.at(-1)!.body).toMatchObject({ response_format: "json", language: "en", model: "whisper-1" });
  });

  test("names servers give for languages become codes", () => {
    expect([languageCodeOf("english"), languageCodeOf("Russian"), languageCodeOf("en"), languageCodeOf("pt-BR"), languageCodeOf(null), languageCodeOf("x")]).toEqual(["en", "ru", "en", "pt-br", null, null]);
  });

  test("failures say what happened and whether a retry can help", async () => {
    const wav = new Uint8Array(44 + 3200);
    const failureOf = async (provider = createTranscriptionProvider(settings)) => (await provider.transcribe(wav).catch((error: unknown) => error)) as TranscriptionFailedError;
    server.setTranscriptionBehaviour(() => ({ status: 500 }));
    expect(await failureOf()).toMatchObject({ permanent: false, message: expect.stringContaining("answered 500") });
    server.setTranscriptionBehaviour(() => ({ status: 400 }));
    expect(await failureOf()).toMatchObject({ permanent: true, message: expect.stringContaining("answered 400") });
    server.setTranscriptionBehaviour(() => ({ invalidJson: true }));
    expect(await failureOf()).toMatchObject({ permanent: false, message: expect.stringContaining("not valid JSON") });
    server.setTranscriptionBehaviour(() => ({ wrongShape: true }));
    expect(await failureOf()).toMatchObject({ permanent: false, message: expect.stringContaining("not a transcription") });
    server.setTranscriptionBehaviour(() => ({ hang: true }));
    expect(await failureOf(createTranscriptionProvider({ ...settings, endpoint: { ...settings.endpoint, timeoutMs: 300 } }))).toMatchObject({ permanent: false, message: expect.stringContaining("did not answer in time") });
    server.setTranscriptionBehaviour(null);
    expect(await failureOf(createTranscriptionProvider({ ...settings, endpoint: { ...settings.endpoint, apiKey: "wrong-key" } }))).toMatchObject({ permanent: false, message: expect.stringContaining("answered 401") });
    const closed = `http://127.0.0.1:${await findFreePort()}/v1`;
    expect(await failureOf(createTranscriptionProvider({ ...settings, endpoint: { ...settings.endpoint, baseUrl: closed } }))).toMatchObject({ permanent: false, message: expect.stringContaining("cannot be reached") });
  });

  test("audio goes only to a server named by TRANSCRIPTION_BASE_URL: an OpenAI key alone sends nothing to the cloud", async () => {
    const keyOnly = await createTestCore({ OPENAI_API_KEY: "sk-test-0123456789" });
    try {
      expect(transcriptionSettingsOf(keyOnly.config)).toBeNull();
      const health = (await (await keyOnly.app.request("/health", {}, { remoteAddress: "127.0.0.1" })).json()) as any;
      expect(health.transcription).toMatchObject({ server: null, inProcess: false, audioSentTo: expect.stringContaining("stays on this server") });
    } finally {
      keyOnly.dispose();
    }
    const cloud = await createTestCore({ OPENAI_API_KEY: "sk-test-0123456789", TRANSCRIPTION_BASE_URL: "https://api.openai.com/v1" });
    try {
      expect(transcriptionSettingsOf(cloud.config)!.endpoint).toMatchObject({ baseUrl: "https://api.openai.com/v1", apiKey: "sk-test-0123456789", timeoutMs: 300_000 });
      const health = (await (await cloud.app.request("/health", {}, { remoteAddress: "127.0.0.1" })).json()) as any;
      expect(health.transcription.audioSentTo).toContain("https://api.openai.com/v1 (OpenAI's cloud)");
    } finally {
      cloud.dispose();
    }
    const checkConfig = (env: Record<string, string>) =>
      runCommand(process.execPath, [join(import.meta.dir, "../../main.ts"), "check-config"], {
        cwd: tmpdir(),
        env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), ADMIN_TOKEN: "admin-token-0123456789", DATA_DIR: join(tmpdir(), "never-created"), ...env },
      });
    const keyOnlyReport = await checkConfig({ OPENAI_API_KEY: "sk-test-0123456789" });
    expect(keyOnlyReport.code).toBe(0);
    expect(keyOnlyReport.stdout).toContain("shop audio for transcription is sent to: nowhere");
    expect(keyOnlyReport.stdout).toContain("transcripts are analysed by: the LLM at https://api.openai.com/v1");
    const onPremReport = await checkConfig({ TRANSCRIPTION_BASE_URL: "http://asr-host:8000/v1" });
    expect(onPremReport.stdout).toContain("shop audio for transcription is sent to: http://asr-host:8000/v1, by this core");
    expect(onPremReport.stdout).not.toContain("OpenAI's cloud");
    expect(onPremReport.stdout).toContain("transcripts are analysed by: the offline rules on this server");

    const none = await createTestCore();
    try {
      expect(transcriptionSettingsOf(none.config)).toBeNull();
    } finally {
      none.dispose();
    }
  });
});

describe("scheduling and running transcription jobs", () => {
  test("a closed dialogue is queued once with the segments of its revision, transcribed, and its analysis queued", async () => {
    const { chunkId, dialogueId } = await dialogueWithSpeech();
    expect((await dialogueRow(dialogueId)).status).toBe("closed");
    expect(await scheduleTranscriptions(localDeps())).toBe(1);
    expect(await scheduleTranscriptions(localDeps())).toBe(0);
    const [job] = await asrJobs();
    expect(asrJobPayload.parse(JSON.parse(job!.payload))).toMatchObject({ dialogue_id: dialogueId, revision: 1, segments: [{ chunk_id: chunkId, offset_start_ms: speech.speech.startMs - 300 }] });
    expect(await json(await core.admin(`/api/v1/admin/dialogues/${dialogueId}`))).toMatchObject({ asr_status: "QUEUED", asr_pass: 0, analysis_status: "PENDING" });

    expect(await runNextJob()).toBe("ran");
    expect(await json(await core.admin(`/api/v1/admin/dialogues/${dialogueId}`))).toMatchObject({ asr_status: "DONE", asr_pass: 1, asr_error: null, analysis_status: "QUEUED" });
    const [transcript] = await db().select().from(dialogueTranscripts);
    expect(transcript).toMatchObject({ dialogueId, revision: 1, pass: 1, language: "en", model: "whisper-1", worker: "core" });
    expect(transcript!.text).toContain("how much is it");
    expect(transcript!.providerMs).toBeGreaterThan(0);
    const [analysisJob] = await db().select().from(jobs).where(eq(jobs.queue, analysisQueueName));
    expect(JSON.parse(analysisJob!.payload)).toEqual({ dialogue_id: dialogueId, transcript_id: transcript!.id, revision: 1, pass: 1, text: transcript!.text, language: "en" });
    expect((await asrJobs())[0]).toMatchObject({ state: "done", attempts: 1 });
    // The seed's operators' query still answers.
    const seedQuery = await core.database.client.execute("SELECT dialogue_id, asr_status, asr_pass FROM dialogues WHERE asr_status = 'DONE'");
    expect(seedQuery.rows.map((row) => [row.dialogue_id, row.asr_pass])).toEqual([[dialogueId, 1]]);
  });

  test("an open dialogue waits; a dialogue that grows after its transcript is transcribed again as pass 2, and a stale job does no work", async () => {
    const startTs = core.clock.now() - 60_000;
    const { dialogueId } = await dialogueWithSpeech(startTs);
    await scheduleTranscriptions(localDeps());
    expect(await runNextJob()).toBe("ran");
    const vad = (chunkId: string, segments: Array<[number, number]>) =>
      applyVadResult({ db: db(), clock: core.clock, settings: dialogueSettingsOf(core.config) }, chunkId, { audio_ms: 4000, segments: segments.map(([start_ms, end_ms]) => ({ start_ms, end_ms })) });
    // Late speech under 3 s after the first joins the dialogue; no audio after it confirms the silence yet.
    const lateChunk = randomUUID();
    expect((await core.upload(device, { bytes: speech.bytes, chunkId: lateChunk, startTs: startTs + 4000, endTs: startTs + 8000 })).status).toBe(200);
    await vad(lateChunk, [[200, 3000]]);
    expect(await dialogueRow(dialogueId)).toMatchObject({ revision: 2, status: "open", asrStatus: "PENDING", asrPass: 1, analysisStatus: "PENDING" });
    expect(await scheduleTranscriptions(localDeps())).toBe(0);
    const quietChunk = randomUUID();
    expect((await core.upload(device, { bytes: speech.bytes, chunkId: quietChunk, startTs: startTs + 8000, endTs: startTs + 12_000 })).status).toBe(200);
    await vad(quietChunk, []);
    expect((await dialogueRow(dialogueId)).status).toBe("closed");
    expect(await scheduleTranscriptions(localDeps())).toBe(1);

    // The dialogue changes once more before the job runs: the queued job describes a revision that is gone.
    await vad(lateChunk, [[200, 2800]]);
    const requestsBefore = server.transcriptionRequests();
    expect(await runNextJob()).toBe("ran");
    expect(server.transcriptionRequests()).toBe(requestsBefore);
    expect(await scheduleTranscriptions(localDeps())).toBe(1);
    expect(await runNextJob()).toBe("ran");
    const transcripts = await db().select().from(dialogueTranscripts).orderBy(dialogueTranscripts.pass);
    expect(transcripts.map((row) => [row.revision, row.pass])).toEqual([
      [1, 1],
      [3, 2],
    ]);
    expect(transcripts[1]!.audioMs).toBeGreaterThan(transcripts[0]!.audioMs + 2000);
    expect(await dialogueRow(dialogueId)).toMatchObject({ revision: 3, asrStatus: "DONE", asrPass: 2, analysisStatus: "QUEUED" });
    expect(await json(await core.admin(`/api/v1/admin/dialogues/${dialogueId}/transcript`))).toMatchObject({ revision: 3, pass: 2, current: true });
  });

  test("a result for a dialogue merged away stores nothing", async () => {
    const { dialogueId } = await dialogueWithSpeech();
    await scheduleTranscriptions(localDeps());
    await db().delete(dialogues).where(eq(dialogues.dialogueId, dialogueId));
    expect(await runNextJob()).toBe("ran");
    expect(await db().$count(dialogueTranscripts)).toBe(0);
    expect((await asrJobs())[0]!.state).toBe("done");
  });

  test("a result that arrives twice is stored once", async () => {
    const { dialogueId } = await dialogueWithSpeech();
    await scheduleTranscriptions(localDeps());
    const payload = asrJobPayload.parse(JSON.parse((await asrJobs())[0]!.payload));
    expect(await runNextJob()).toBe("ran");
    const stored = await db().select().from(dialogueTranscripts);
    expect(stored).toHaveLength(1);
    const late = { text: "how much is it", language: "en", model: "whisper-1", segments: null, audio_ms: 4000, provider_ms: 10, worker: "host-b/7" };
    expect(await applyTranscription(localDeps(), payload, late)).toBe("duplicate");
    expect(await db().select().from(dialogueTranscripts)).toEqual(stored);
    expect(await dialogueRow(dialogueId)).toMatchObject({ asrPass: 1 });
    expect(await db().$count(jobs, eq(jobs.queue, analysisQueueName))).toBe(1);
  });

  test("a dialogue whose chunk is gone fails at once, with the reason", async () => {
    const { dialogueId } = await dialogueWithSpeech();
    await scheduleTranscriptions(localDeps());
    rmSync(core.config.audioStoragePath, { recursive: true });
    expect(await runNextJob()).toBe("ran");
    expect(await dialogueRow(dialogueId)).toMatchObject({ asrStatus: "FAILED", asrError: expect.stringContaining("is gone") });
    expect((await asrJobs())[0]).toMatchObject({ state: "dead", attempts: 1 });
  });

  test("noise the VAD took for speech gives an empty transcript, stored, with nothing to analyse", async () => {
    const { dialogueId } = await dialogueWithSpeech(core.clock.now() - 60_000, await noiseChunk(4));
    await scheduleTranscriptions(localDeps());
    expect(await runNextJob()).toBe("ran");
    expect(await dialogueRow(dialogueId)).toMatchObject({ asrStatus: "DONE", asrPass: 1, analysisStatus: "SKIPPED" });
    expect((await db().select().from(dialogueTranscripts))[0]!.text).toBe("");
    expect(await db().$count(jobs, eq(jobs.queue, analysisQueueName))).toBe(0);
  });
});

describe("a provider that is down, hangs, fails or answers nonsense", () => {
  const cases: Array<[string, () => Promise<Partial<LocalAsrDeps>>, string]> = [
    ["down", async () => ({ provider: createTranscriptionProvider({ ...settings, endpoint: { ...settings.endpoint, baseUrl: `http://127.0.0.1:${await findFreePort()}/v1` } }) }), "cannot be reached"],
    [
      "timing out",
      async () => {
        server.setTranscriptionBehaviour(() => ({ hang: true }));
        return { provider: createTranscriptionProvider({ ...settings, endpoint: { ...settings.endpoint, timeoutMs: 250 } }) };
      },
      "did not answer in time",
    ],
    [
      "returning 500",
      async () => {
        server.setTranscriptionBehaviour(() => ({ status: 500 }));
        return {};
      },
      "answered 500",
    ],
    [
      "returning invalid JSON",
      async () => {
        server.setTranscriptionBehaviour(() => ({ invalidJson: true }));
        return {};
      },
      "not valid JSON",
    ],
  ];
  for (const [name, prepare, reason] of cases) {
    test(`${name}: retried with backoff, then dead with the reason on the dialogue; nothing lost, and a retry after the fix transcribes it`, async () => {
      const { dialogueId } = await dialogueWithSpeech();
      await scheduleTranscriptions(localDeps());
      const deps = localDeps(await prepare());
      const delays: number[] = [];
      const attempts = (await asrJobs())[0]!.maxAttempts;
      expect(attempts).toBe(10);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        expect(await runNextJob(deps)).toBe(attempt < attempts ? "failed" : "ran");
        const [job] = await asrJobs();
        expect(job!.lastError).toContain(reason);
        if (attempt < attempts) {
          expect(job!.state).toBe("queued");
          delays.push(job!.runAt - core.clock.now());
          expect(await runNextJob(deps)).toBe("none");
          await core.clock.set(job!.runAt);
        }
      }
      // Capped exponential backoff with jitter: each wait within [50 %, 100 %] of 30 s · 2^(n-1).
      delays.forEach((delay, index) => {
        const ceiling = Math.min(1_800_000, 30_000 * 2 ** index);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      });
      expect((await asrJobs())[0]).toMatchObject({ state: "dead", attempts });
      const detail = await json(await core.admin(`/api/v1/admin/dialogues/${dialogueId}`));
      expect(detail).toMatchObject({ asr_status: "FAILED" });
      expect(detail.asr_error).toContain(reason);
      const overview = await json(await core.admin("/api/v1/admin/pipeline"));
      expect(overview.dialogues.asr.FAILED).toBe(1);
      expect(overview.queues.asr.dead).toBe(1);
      expect(overview.dead_jobs).toEqual([expect.objectContaining({ queue: "asr", dialogue_id: dialogueId, attempts, error: expect.stringContaining(reason) })]);

      server.setTranscriptionBehaviour(null);
      expect(await json(await core.admin("/api/v1/admin/pipeline/asr/retry-failed", { method: "POST" }))).toEqual({ stage: "asr", retried: 1 });
      expect((await dialogueRow(dialogueId)).asrStatus).toBe("QUEUED");
      expect(await runNextJob()).toBe("ran");
      expect(await dialogueRow(dialogueId)).toMatchObject({ asrStatus: "DONE", asrPass: 1, asrError: null });
    });
  }

  test("a request the server refuses outright (400) is dead at once, with the reason", async () => {
    const { dialogueId } = await dialogueWithSpeech();
    await scheduleTranscriptions(localDeps());
    server.setTranscriptionBehaviour(() => ({ status: 400 }));
    expect(await runNextJob()).toBe("ran");
    expect((await asrJobs())[0]).toMatchObject({ state: "dead", attempts: 1 });
    expect((await dialogueRow(dialogueId)).asrError).toContain("answered 400");
  });
});
