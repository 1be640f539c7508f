import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { eq } from "drizzle-orm";
import { audioChunks, dialogueSegments, dialogues, speechSegments } from "../db/schema.ts";
import { createTestCore, filesUnder, type TestCore, type TestDevice } from "../testing/core-test-app.ts";
import { noiseChunk } from "../testing/test-audio.ts";
import { createAudioStorage } from "./audio-retention.ts";

let bytes: Uint8Array;
beforeAll(async () => {
  bytes = await noiseChunk(2);
});
let core: TestCore | null = null;
afterEach(() => core?.dispose());

const dayMs = 86_400_000;

async function uploadChunk(instance: TestCore, device: TestDevice, minutesAgo: number): Promise<string> {
  const chunkId = randomUUID();
  const startTs = instance.clock.now() - minutesAgo * 60_000;
  const response = await instance.upload(device, { bytes, chunkId, startTs, endTs: startTs + 2000 });
  expect(response.status).toBe(200);
  return chunkId;
}

/** What the pipeline leaves behind: speech finding done, speech in a dialogue in the given transcription state. */
async function finishSpeechFinding(instance: TestCore, chunkId: string, dialogue: { asrStatus: "PENDING" | "QUEUED" | "DONE" | "FAILED" } | "no speech" | "not in a dialogue yet") {
  const db = instance.database.db;
  await db.update(audioChunks).set({ vadStatus: "done", vadAt: instance.clock.now(), audioMs: 2000, speechMs: dialogue === "no speech" ? 0 : 1500 }).where(eq(audioChunks.chunkId, chunkId));
  if (dialogue === "no speech") return;
  const [chunk] = await db.select().from(audioChunks).where(eq(audioChunks.chunkId, chunkId));
  const [segment] = await db
    .insert(speechSegments)
    .values({ chunkId, pointId: chunk!.pointId, registerId: chunk!.registerId, startTs: chunk!.startTs, endTs: chunk!.startTs + 1500, offsetStartMs: 0, offsetEndMs: 1500 })
    .returning();
  if (dialogue === "not in a dialogue yet") return;
  const dialogueId = randomUUID();
  const now = instance.clock.now();
  await db.insert(dialogues).values({
    dialogueId,
    pointId: chunk!.pointId,
    registerId: chunk!.registerId,
    startTs: chunk!.startTs,
    endTs: chunk!.startTs + 1500,
    segmentCount: 1,
    speechMs: 1500,
    status: "closed",
    createdAt: now,
    updatedAt: now,
    closedAt: now,
    asrStatus: dialogue.asrStatus,
  });
  await db.insert(dialogueSegments).values({ speechSegmentId: segment!.id, dialogueId, chunkId, startTs: segment!.startTs, endTs: segment!.endTs, offsetStartMs: 0, offsetEndMs: 1500 });
}

async function audioOf(instance: TestCore, chunkId: string): Promise<{ file: boolean; deletedAt: number | null }> {
  const [row] = await instance.database.db.select().from(audioChunks).where(eq(audioChunks.chunkId, chunkId));
  return { file: existsSync(instance.storage.absolutePath(row!.storedPath)), deletedAt: row!.audioDeletedAt };
}

describe("audio retention on the core", () => {
  test("audio past AUDIO_RETENTION_DAYS goes once nothing pending needs it; rows, segments and dialogues stay", async () => {
    core = await createTestCore({ AUDIO_RETENTION_DAYS: "30" });
    const device = await core.registerDevice();
    const chunks = {
      waitingForSpeechFinding: await uploadChunk(core, device, 10),
      noSpeech: await uploadChunk(core, device, 9),
      transcribed: await uploadChunk(core, device, 8),
      waitingForTranscription: await uploadChunk(core, device, 7),
      failedTranscription: await uploadChunk(core, device, 6),
      speechNotInADialogue: await uploadChunk(core, device, 5),
    };
    await finishSpeechFinding(core, chunks.noSpeech, "no speech");
    await finishSpeechFinding(core, chunks.transcribed, { asrStatus: "DONE" });
    await finishSpeechFinding(core, chunks.waitingForTranscription, { asrStatus: "QUEUED" });
    await finishSpeechFinding(core, chunks.failedTranscription, { asrStatus: "FAILED" });
    await finishSpeechFinding(core, chunks.speechNotInADialogue, "not in a dialogue yet");
    const audioStorage = createAudioStorage({ db: core.database.db, clock: core.clock, storage: core.storage, settings: core.config });

    await core.clock.advance(29 * dayMs);
    const young = await uploadChunk(core, device, 1);
    await finishSpeechFinding(core, young, "no speech");
    expect(await audioStorage.deleteExpiredAudio()).toBe(0);

    await core.clock.advance(2 * dayMs);
    expect(await audioStorage.deleteExpiredAudio()).toBe(2);
    expect(await audioOf(core, chunks.noSpeech)).toEqual({ file: false, deletedAt: core.clock.now() });
    expect(await audioOf(core, chunks.transcribed)).toEqual({ file: false, deletedAt: core.clock.now() });
    for (const kept of [chunks.waitingForSpeechFinding, chunks.waitingForTranscription, chunks.failedTranscription, chunks.speechNotInADialogue, young]) {
      expect(await audioOf(core, kept)).toEqual({ file: true, deletedAt: null });
    }
    expect(await core.database.db.$count(audioChunks)).toBe(7);
    expect(await core.database.db.$count(dialogues)).toBe(3);
    expect(await core.database.db.$count(speechSegments)).toBe(4);
    expect(await audioStorage.deleteExpiredAudio()).toBe(0);

    const status = await audioStorage.status();
    expect(status).toMatchObject({ storedChunks: 5, storedBytes: 5 * bytes.length, retentionDays: 30, deletedChunksTotal: 2 });
    const [oldestKept] = await core.database.db.select().from(audioChunks).where(eq(audioChunks.chunkId, chunks.waitingForSpeechFinding));
    expect(status.oldestChunkStartTs).toBe(oldestKept!.startTs);
  });

  test("/health and /metrics show stored bytes, the oldest chunk, free space and the reserve", async () => {
    core = await createTestCore({ AUDIO_MIN_FREE_MB: "1" });
    const device = await core.registerDevice();
    await uploadChunk(core, device, 3);
    const health = (await (await core.app.request("/health", {}, { remoteAddress: "127.0.0.1" })).json()) as { status: string; storage: Record<string, unknown> };
    expect(health.status).toBe("ok");
    expect(health.storage).toMatchObject({ stored_chunks: 1, stored_bytes: bytes.length, reserve_bytes: 1024 * 1024, retention_days: 30, deleted_chunks_total: 0 });
    expect(health.storage.free_bytes).toBeGreaterThan(1024 * 1024);
    expect(typeof health.storage.oldest_chunk_start).toBe("string");
    const metrics = await (await core.app.request("/metrics", {}, { remoteAddress: "127.0.0.1" })).text();
    expect(metrics).toMatch(/^audio_storage_free_bytes \d+/m);
    expect(metrics).toContain(`audio_storage_stored_bytes ${bytes.length}`);
    expect(metrics).toMatch(/^audio_storage_oldest_chunk_timestamp_seconds \d+/m);
    expect(metrics).toContain("audio_retention_deleted_chunks_total 0");
  });

  test("below the free-space reserve ingest answers 507 ingest.storage_full and stores nothing", async () => {
    // A reserve larger than any test machine's disk: every new chunk is refused.
    core = await createTestCore({ AUDIO_MIN_FREE_MB: "9000000" });
    const full = core;
    const fullDevice = await full.registerDevice();
    const startTs = full.clock.now() - 60_000;
    const refused = await full.upload(fullDevice, { bytes, chunkId: randomUUID(), startTs, endTs: startTs + 2000 });
    expect(refused.status).toBe(507);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("ingest.storage_full");
    expect(body.error.message).toContain("AUDIO_MIN_FREE_MB");
    expect(await full.database.db.$count(audioChunks)).toBe(0);
    expect(filesUnder(full.config.audioStoragePath)).toEqual([]);
    const health = (await (await full.app.request("/health", {}, { remoteAddress: "127.0.0.1" })).json()) as { status: string };
    expect(health.status).toBe("degraded");
    // The reserve is never a reason to answer an unauthenticated caller with anything but 401.
    expect((await full.upload(fullDevice, { bytes, chunkId: randomUUID(), startTs, endTs: startTs + 2000 }, { token: null })).status).toBe(401);
  });
});
