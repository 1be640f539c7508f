/**
 * `core worker --role asr|analysis` processes beside the core's own workers: the same jobs, pulled
 * over the internal API. Each dialogue is transcribed and analysed exactly once, and a worker killed
 * mid-job loses only its lease.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { analysisQueueName } from "../../shared/contracts/analysis-jobs.ts";
import { asrQueueName } from "../../shared/contracts/asr-jobs.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { dialogueAnalyses, dialogues, dialogueTranscripts, jobs, upsellOffers } from "../db/schema.ts";
import { faithfulModel } from "../testing/chat-behaviours.ts";
import { createTestCore, type TestCore, type TestDevice, testInternalToken } from "../testing/core-test-app.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";
import { startTestPipeline, startTickingClock, startWorkerProcess, waitFor, type WorkerProcess } from "../testing/pipeline-test-kit.ts";
import { englishSalesCorpus } from "../testing/sales-corpus.ts";
import { speechChunk } from "../testing/test-audio.ts";
import { defaultAnalysisSettings } from "./analysis/analysis-settings.ts";
import { scheduleTranscriptions } from "./asr/asr.usecases.ts";
import { dialogueSettingsOf } from "./dialogues/dialogue-settings.ts";
import { applyVadResult } from "./vad/vad.usecases.ts";

const providerKey = "local-provider-key-4";
let server: OpenAiCompatibleServer;
let speech: Awaited<ReturnType<typeof speechChunk>>;
let offer: Awaited<ReturnType<typeof speechChunk>>;
let core: TestCore;
let device: TestDevice;
let http: RunningHttpServer;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus, apiKey: providerKey });
  speech = await speechChunk({ seconds: 3, atMs: 300, text: "How much is it?" });
  offer = await speechChunk({ seconds: 4, atMs: 300, text: "Would you like a bag for that?" });
});
afterAll(() => server.stop());
beforeEach(async () => {
  server.setTranscriptionBehaviour(null);
  core = await createTestCore({
    DIALOGUE_SILENCE_GAP_SECONDS: "2",
    DIALOGUE_CLOSE_GRACE_SECONDS: "0",
    TRANSCRIPTION_BASE_URL: server.baseUrl,
    TRANSCRIPTION_API_KEY: providerKey,
    TRANSCRIPTION_CONCURRENCY: "2",
    WORKER_LEASE_SECONDS: "10",
  });
  device = await core.registerDevice();
  http = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop("SIGKILL")));
  await http.forceStop();
  core.dispose();
});

async function startWorker(roles: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const worker = await startWorkerProcess({
    coreUrl: http.url,
    token: testInternalToken,
    roles,
    env: { TRANSCRIPTION_BASE_URL: server.baseUrl, TRANSCRIPTION_API_KEY: providerKey, TRANSCRIPTION_CONCURRENCY: "2", WORKER_LEASE_SECONDS: "10", ...env },
  });
  workers.push(worker);
  return worker;
}

/** `count` closed one-sentence dialogues at the register, a minute apart. */
async function closedDialogues(count: number, sentence = speech): Promise<void> {
  const firstStart = core.clock.now() - (count + 1) * 60_000;
  const chunkMs = sentence === speech ? 3000 : 4000;
  for (let index = 0; index < count; index++) {
    const chunkId = randomUUID();
    const startTs = firstStart + index * 60_000;
    expect((await core.upload(device, { bytes: sentence.bytes, chunkId, startTs, endTs: startTs + chunkMs })).status).toBe(200);
    await applyVadResult({ db: core.database.db, clock: core.clock, settings: dialogueSettingsOf(core.config) }, chunkId, {
      audio_ms: chunkMs,
      segments: [{ start_ms: 0, end_ms: Math.min(chunkMs, sentence.speech.endMs + 200) }],
    });
  }
  expect(await core.database.db.$count(dialogues, eq(dialogues.status, "closed"))).toBe(count);
}

const countWhere = (sql: string) => core.database.client.execute(sql).then((result) => Number(result.rows[0]![0]));

describe("workers on other hosts", () => {
  test("two remote workers and the core's own workers process 50 dialogues, each transcribed and analysed exactly once", async () => {
    await closedDialogues(50);
    const requestsBefore = server.transcriptionRequests();
    const first = await startWorker("asr");
    const second = await startWorker("asr,analysis");
    // A slow server keeps every worker's two slots busy, so the claims interleave.
    server.setTranscriptionBehaviour(() => ({ delayMs: 100 }));
    const clock = startTickingClock(core.clock, 1);
    const pipeline = startTestPipeline(core, { vad: false });
    try {
      await waitFor("50 dialogues transcribed and analysed", async () => (await countWhere("SELECT count(*) FROM dialogues WHERE asr_status = 'DONE' AND analysis_status = 'DONE'")) === 50, 120_000);
    } finally {
      await pipeline.stop();
      clock.stop();
    }
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(await second.stop("SIGTERM")).toBe(0);
    workers.length = 0;

    expect(server.transcriptionRequests() - requestsBefore).toBe(50);
    const transcripts = await core.database.db.select().from(dialogueTranscripts);
    expect(transcripts).toHaveLength(50);
    expect(new Set(transcripts.map((row) => row.dialogueId)).size).toBe(50);
    expect(transcripts.every((row) => row.pass === 1 && row.text.includes("how much is it"))).toBe(true);
    const byWorker = Object.groupBy(transcripts, (row) => (row.worker === "core" ? "core" : row.worker!.endsWith(`/${first.pid}`) ? "first" : row.worker!.endsWith(`/${second.pid}`) ? "second" : "unknown"));
    expect(byWorker.unknown).toBeUndefined();
    expect(Object.keys(byWorker).length).toBeGreaterThanOrEqual(2);
    const asrJobs = await core.database.db.select().from(jobs).where(eq(jobs.queue, asrQueueName));
    expect(asrJobs.map((job) => [job.state, job.attempts])).toEqual(Array.from({ length: 50 }, () => ["done", 1]));

    const analyses = await core.database.db.select().from(dialogueAnalyses);
    expect(analyses).toHaveLength(50);
    expect(new Set(analyses.map((row) => row.dialogueId)).size).toBe(50);
    expect((await core.database.db.select().from(jobs).where(eq(jobs.queue, analysisQueueName))).every((job) => job.state === "done" && job.attempts === 1)).toBe(true);
    console.log(`transcribed by: ${Object.entries(byWorker).map(([name, rows]) => `${name} ${rows!.length}`).join(", ")}`);
  });

  test("a worker killed mid-job loses only its lease: another worker finishes the job once the lease expires", async () => {
    await closedDialogues(1);
    await scheduleTranscriptions({ db: core.database.db, clock: core.clock, logger: silentLogger });
    server.setTranscriptionBehaviour(({ number }) => (number === 1 ? { hang: true } : null));
    const requestsBefore = server.transcriptionRequests();
    const doomed = await startWorker("asr");
    await waitFor("the first worker to be mid-transcription", async () => server.transcriptionRequests() > requestsBefore);
    expect(await doomed.stop("SIGKILL")).toBe(137);
    workers.length = 0;
    const [held] = await core.database.db.select().from(jobs).where(eq(jobs.queue, asrQueueName));
    expect(held).toMatchObject({ state: "running", attempts: 1 });

    const rescuer = await startWorker("asr");
    // The lease still holds: nobody may take the job yet.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await core.database.db.select().from(jobs).where(eq(jobs.id, held!.id)))[0]).toMatchObject({ attempts: 1, leaseToken: held!.leaseToken });
    await core.clock.advance(10_001);
    await waitFor("the job to be finished by the other worker", async () => (await countWhere("SELECT count(*) FROM dialogues WHERE asr_status = 'DONE'")) === 1);
    expect((await core.database.db.select().from(jobs).where(eq(jobs.id, held!.id)))[0]).toMatchObject({ state: "done", attempts: 2 });
    const transcripts = await core.database.db.select().from(dialogueTranscripts);
    expect(transcripts).toHaveLength(1);
    expect(transcripts[0]!.worker).toEndWith(`/${rescuer.pid}`);
    expect(transcripts[0]!.text).toContain("how much is it");
  });

  test("a remote analysis worker uses its own LLM under the core's settings; the core checks its quotes", async () => {
    await closedDialogues(1, offer);
    server.setChatBehaviour(faithfulModel(defaultAnalysisSettings));
    const worker = await startWorker("asr,analysis", { LLM_BASE_URL: server.baseUrl, LLM_API_KEY: providerKey, LLM_MODEL: "remote-model" });
    const clock = startTickingClock(core.clock, 1);
    const scheduler = setInterval(() => void scheduleTranscriptions({ db: core.database.db, clock: core.clock, logger: silentLogger }), 200);
    try {
      await waitFor("the dialogue to be analysed remotely", async () => (await countWhere("SELECT count(*) FROM dialogues WHERE analysis_status = 'DONE'")) === 1);
    } finally {
      clearInterval(scheduler);
      clock.stop();
    }
    const [analysis] = await core.database.db.select().from(dialogueAnalyses);
    expect(analysis).toMatchObject({ method: "llm", model: "remote-model", upsellAttempted: true, worker: expect.stringMatching(new RegExp(`/${worker.pid}$`)) });
    const [transcript] = await core.database.db.select().from(dialogueTranscripts);
    expect(transcript!.text).toContain("would you like a bag");
    const offers = await core.database.db.select().from(upsellOffers);
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatchObject({ category: "accessory", product: "bag" });
    expect(transcript!.text.slice(offers[0]!.quoteStart, offers[0]!.quoteEnd)).toBe(offers[0]!.quote);
    expect(server.requests.filter((request) => request.path === "/v1/chat/completions").at(-1)!.body).toMatchObject({ model: "remote-model" });
  });

  test("`core worker` refuses bad arguments and missing settings with exit code 2", async () => {
    const main = join(import.meta.dir, "../main.ts");
    const run = (args: string[], env: Record<string, string> = {}) => runCommand(process.execPath, [main, "worker", ...args], { env: { PATH: process.env.PATH, DATA_DIR: core.config.dataDir, ...env } });
    const unknownRole = await run(["--role", "payroll", "--core-url", http.url, "--token", testInternalToken]);
    expect(unknownRole.code).toBe(2);
    expect(unknownRole.stderr).toContain("--role payroll: expected one of vad, asr, analysis");
    const noServer = await run(["--role", "asr", "--core-url", http.url, "--token", testInternalToken]);
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain("needs a transcription server");
    const noCore = await run(["--role", "analysis"]);
    expect(noCore.code).toBe(2);
    expect(noCore.stderr).toContain("INGEST_INTERNAL_BASE_URL");
    expect(noCore.stderr).toContain("INTERNAL_TOKEN");
    const badUrl = await run(["--core-url", "ftp://core", "--token", testInternalToken, "--verbose"]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain("--core-url ftp://core");
    expect(badUrl.stderr).toContain('unknown argument "--verbose"');
  });

  test("`core serve` refuses an analysis settings file it cannot use, naming the setting (exit code 2)", async () => {
    const settingsFile = join(core.config.dataDir, "analysis.yaml");
    writeFileSync(settingsFile, "categories: []\n");
    const refused = await runCommand(process.execPath, [join(import.meta.dir, "../main.ts"), "serve"], {
      env: { PATH: process.env.PATH, DATA_DIR: join(core.config.dataDir, "serve"), ADMIN_TOKEN: "adm-serve-7f3k2q9x4m1p8z6w", PORT: "0", HOST: "127.0.0.1", ANALYSIS_SETTINGS_FILE: settingsFile },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("ANALYSIS_SETTINGS_FILE (analysis_settings_file)");
    expect(refused.stderr).toContain("categories");
  });
});
