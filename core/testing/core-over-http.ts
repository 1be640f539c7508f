import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { expect as bunExpect } from "bun:test";
import { chunkUploadPath, chunkUploadResponse } from "../../shared/contracts/chunk-upload.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { uploadForm } from "./core-test-app.ts";
import { speechChunk } from "./test-audio.ts";

/** The settings a core process needs for driveCoreThroughAnalysis, beside its own PORT/HOST/DATA_DIR. */
export function transcribingCoreEnv(adminToken: string, transcriptionBaseUrl: string): Record<string, string> {
  return { ADMIN_TOKEN: adminToken, TRANSCRIPTION_BASE_URL: transcriptionBaseUrl, DIALOGUE_SILENCE_GAP_SECONDS: "2" };
}

export interface UploadedSpeech {
  chunkId: string;
  storedPath: string;
  speech: { startMs: number; endMs: number };
}

/**
 * Registers a recorder through a running core's admin API and uploads a 6 s chunk with speech from
 * it; a forged token is refused first.
 */
export async function uploadSpeechChunk(coreUrl: string, adminToken: string, expect: typeof bunExpect): Promise<UploadedSpeech> {
  const { bytes, speech } = await speechChunk({ seconds: 6, atMs: 2000, text: "Would you like a bag for that?" });
  const device = { pointId: randomUUID(), registerId: randomUUID(), deviceId: randomUUID(), token: randomUUID() };
  const registered = await fetch(`${coreUrl}/api/v1/admin/devices`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ point_id: device.pointId, register_id: device.registerId, device_id: device.deviceId, token_plain: device.token }),
  });
  expect(registered.status).toBe(201);
  const startTs = Date.now() - 60_000;
  const upload = (token: string) =>
    fetch(`${coreUrl}${chunkUploadPath}`, { method: "POST", body: uploadForm(device, { bytes, startTs, endTs: startTs + 6000 }, Date.now()), headers: { authorization: `Bearer ${token}` } });
  expect((await upload(randomUUID())).status).toBe(401);
  const uploaded = await upload(device.token);
  expect(uploaded.status).toBe(200);
  const { chunk_id, stored_path } = chunkUploadResponse.parse(await uploaded.json());
  return { chunkId: chunk_id, storedPath: stored_path, speech };
}

/** Waits until the core (or a worker of it) has looked for the chunk's speech, and checks it found the one segment. */
export async function expectSpeechFound(coreUrl: string, adminToken: string, uploaded: UploadedSpeech, expect: typeof bunExpect): Promise<void> {
  type ChunkDetail = { vad: { status: string; audio_ms: number }; speech_segments: Array<{ offset_start_ms: number; offset_end_ms: number }> };
  let chunk = {} as ChunkDetail;
  await waitUntil(
    "the chunk's speech found",
    async () => (chunk = (await (await fetch(`${coreUrl}/api/v1/admin/chunks/${uploaded.chunkId}`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as ChunkDetail).vad.status !== "pending",
    30_000,
    100,
  );
  expect(chunk.vad).toMatchObject({ status: "done", audio_ms: 6000 });
  expect(chunk.speech_segments).toHaveLength(1);
  expect(Math.abs(chunk.speech_segments[0]!.offset_start_ms - uploaded.speech.startMs)).toBeLessThanOrEqual(500);
  expect(Math.abs(chunk.speech_segments[0]!.offset_end_ms - uploaded.speech.endMs)).toBeLessThanOrEqual(500);
}

/**
 * Drives a running core process (a binary, or the source under Bun or Deno) over HTTP as a shop
 * does: a recorder's chunk with speech is ingested, and its speech is found, transcribed and
 * analysed (the core must run with transcribingCoreEnv and the sales corpus behind its
 * transcription server).
 */
export async function driveCoreThroughAnalysis(coreUrl: string, adminToken: string, audioDir: string, expect: typeof bunExpect): Promise<void> {
  const get = async (path: string) => (await fetch(`${coreUrl}${path}`, { headers: { authorization: `Bearer ${adminToken}` } })).json();
  const uploaded = await uploadSpeechChunk(coreUrl, adminToken, expect);
  expect(existsSync(join(audioDir, uploaded.storedPath))).toBe(true);
  await expectSpeechFound(coreUrl, adminToken, uploaded, expect);

  let dialogue: { dialogue_id: string; asr_status: string; analysis_status: string } | undefined;
  await waitUntil(
    "the dialogue transcribed and analysed",
    async () => ([dialogue] = ((await get("/api/v1/admin/dialogues")) as { dialogues: Array<typeof dialogue> }).dialogues)[0]?.analysis_status === "DONE",
    30_000,
    100,
  );
  expect(dialogue).toMatchObject({ asr_status: "DONE", analysis_status: "DONE" });
  const transcript = (await get(`/api/v1/admin/dialogues/${dialogue!.dialogue_id}/transcript`)) as { text: string };
  expect(transcript.text).toContain("would you like a bag");
  const analysis = (await get(`/api/v1/admin/dialogues/${dialogue!.dialogue_id}/analysis`)) as {
    method: string;
    offers: Array<{ category: string; quote: { text: string; start: number; end: number } }>;
  };
  expect(analysis).toMatchObject({ method: "rules", offers: [{ category: "accessory" }] });
  expect(transcript.text.slice(analysis.offers[0]!.quote.start, analysis.offers[0]!.quote.end)).toBe(analysis.offers[0]!.quote.text);
}
