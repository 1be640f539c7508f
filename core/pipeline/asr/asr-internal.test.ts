import { afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { asrJobPayload } from "../../../shared/contracts/asr-jobs.ts";
import { silentLogger } from "../../../shared/log/logger.ts";
import { dialogues, dialogueTranscripts, jobs } from "../../db/schema.ts";
import { createTestCore, type TestCore, testAdminToken } from "../../testing/core-test-app.ts";
import { noiseChunk } from "../../testing/test-audio.ts";
import { dialogueSettingsOf } from "../dialogues/dialogue-settings.ts";
import { applyVadResult } from "../vad/vad.usecases.ts";
import { scheduleTranscriptions } from "./asr.usecases.ts";

let core: TestCore;
let chunk: Uint8Array;
let chunkId: string;
beforeAll(async () => {
  chunk = await noiseChunk(4);
});
beforeEach(async () => {
  core = await createTestCore({ DIALOGUE_SILENCE_GAP_SECONDS: "2" });
  const device = await core.registerDevice();
  chunkId = randomUUID();
  const startTs = core.clock.now() - 60_000;
  expect((await core.upload(device, { bytes: chunk, chunkId, startTs, endTs: startTs + 4000 })).status).toBe(200);
  await applyVadResult({ db: core.database.db, clock: core.clock, settings: dialogueSettingsOf(core.config) }, chunkId, { audio_ms: 4000, segments: [{ start_ms: 200, end_ms: 1500 }] });
  expect(await scheduleTranscriptions({ db: core.database.db, clock: core.clock, logger: silentLogger })).toBe(1);
});
afterEach(() => core.dispose());

const json = async (response: Response) => (await response.json()) as any;
const post = (path: string, body: unknown) => core.internal(path, { method: "POST", body: JSON.stringify(body) });
const claim = async () => (await json(await post("/api/v1/internal/jobs/claim", { queues: ["asr"], lease_seconds: 30, worker: "asr-host/7" }))).job;
const result = { text: "how much is it", language: "en", model: "whisper-large-v3", segments: [{ start_ms: 200, end_ms: 1400, text: "how much is it" }], audio_ms: 1300, provider_ms: 250, worker: "asr-host/7" };

describe("transcription jobs over the internal API", () => {
  test("a worker claims a job with the dialogue's segments, fetches the chunk and posts the transcript", async () => {
    const job = await claim();
    const payload = asrJobPayload.parse(job.payload);
    expect(payload.segments).toEqual([{ chunk_id: chunkId, start_ts: expect.any(Number), offset_start_ms: 200, offset_end_ms: 1500 }]);
    const audio = await core.internal(`/api/v1/internal/chunks/${chunkId}/audio`);
    expect(Buffer.compare(new Uint8Array(await audio.arrayBuffer()), chunk)).toBe(0);
    const done = await post(`/api/v1/internal/jobs/${job.job_id}/result`, { lease_token: job.lease_token, result });
    expect(await done.json()).toEqual({ status: "done" });
    const transcript = await json(await core.admin(`/api/v1/admin/dialogues/${payload.dialogue_id}/transcript`));
    expect(transcript).toMatchObject({ text: "how much is it", model: "whisper-large-v3", worker: "asr-host/7", provider_ms: 250, segments: [{ start_ms: 200, end_ms: 1400, text: "how much is it" }] });
    // The same result posted again finds the job done: refused, nothing changes.
    const again = await post(`/api/v1/internal/jobs/${job.job_id}/result`, { lease_token: job.lease_token, result });
    expect(again.status).toBe(409);
    expect(await core.database.db.$count(dialogueTranscripts)).toBe(1);
  });

  test("results that do not fit the asr queue are refused and nothing is stored", async () => {
    const job = await claim();
    for (const bad of [
      { ...result, segments: [{ start_ms: 900, end_ms: 400, text: "x" }] },
      { ...result, segments: [{ start_ms: 900, end_ms: 1000, text: "a" }, { start_ms: 100, end_ms: 200, text: "b" }] },
      { ...result, audio_ms: -5 },
      { ...result, model: "" },
      { ...result, text: "x".repeat(1_000_001) },
      { text: "no model" },
      "how much is it",
    ]) {
      const response = await post(`/api/v1/internal/jobs/${job.job_id}/result`, { lease_token: job.lease_token, result: bad });
      expect([response.status, (await json(response)).error.code]).toEqual([400, "internal.invalid_result"]);
    }
    const oversized = await post(`/api/v1/internal/jobs/${job.job_id}/result`, { lease_token: job.lease_token, result: { ...result, text: "x".repeat(9 * 1024 * 1024) } });
    expect([oversized.status, (await json(oversized)).error.code]).toEqual([413, "request.body_too_large"]);
    expect(await core.database.db.$count(dialogueTranscripts)).toBe(0);
    expect((await core.database.db.select().from(dialogues))[0]!.asrStatus).toBe("QUEUED");
  });

  test("a transcript of a revision the dialogue has left is accepted and dropped; a failure report goes dead with the reason on the dialogue", async () => {
    const job = await claim();
    await core.database.db.update(dialogues).set({ revision: 2 });
    expect((await post(`/api/v1/internal/jobs/${job.job_id}/result`, { lease_token: job.lease_token, result })).status).toBe(200);
    expect(await core.database.db.$count(dialogueTranscripts)).toBe(0);

    await core.database.db.update(dialogues).set({ revision: 1, asrStatus: "PENDING" });
    await core.database.db.delete(jobs);
    await scheduleTranscriptions({ db: core.database.db, clock: core.clock, logger: silentLogger });
    const next = await claim();
    const failed = await post(`/api/v1/internal/jobs/${next.job_id}/failure`, { lease_token: next.lease_token, error: "chunk undecodable", permanent: true });
    expect(await failed.json()).toEqual({ outcome: "dead" });
    expect((await core.database.db.select().from(dialogues).where(eq(dialogues.revision, 1)))[0]).toMatchObject({ asrStatus: "FAILED", asrError: "chunk undecodable" });
  });

  test("security: without the internal token, or with the admin token, nothing is claimed", async () => {
    for (const headers of [{}, { authorization: `Bearer ${testAdminToken}` }, { authorization: "Bearer int-wrong-0123456789" }] as Array<Record<string, string>>) {
      const response = await core.app.request("/api/v1/internal/jobs/claim", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ queues: ["asr", "analysis"] }) });
      expect(response.status).toBe(401);
    }
    expect((await core.database.db.select().from(jobs))[0]).toMatchObject({ state: "queued", attempts: 0 });
  });
});
