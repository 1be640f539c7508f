/**
 * The core from source under Deno 2 (`deno run` with the README's permissions) on a fresh data
 * directory: it ingests a chunk, finds its speech with the WASM decoder and VAD, transcribes and
 * analyses the dialogue through an OpenAI-compatible server, and answers the admin and call-results
 * APIs, with their refusals.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { chunkUploadPath, chunkUploadResponse } from "../shared/contracts/chunk-upload.ts";
import { startDenoNode } from "../shared/testing/deno-node.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { waitUntil } from "../shared/testing/wait-until.ts";
import { uploadForm } from "./testing/core-test-app.ts";
import { startOpenAiCompatibleServer } from "./testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "./testing/sales-corpus.ts";
import { speechChunk } from "./testing/test-audio.ts";

const dirs: TempDir[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

describe("core under Deno", () => {
  test("ingests a chunk, finds its speech, transcribes and analyses it; admin and call-results APIs with their refusals", async () => {
    const dir = makeTempDir("salescontrol-core-deno-");
    dirs.push(dir);
    mkdirSync(dir.join("tmp"));
    const adminToken = randomUUID();
    const provider = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus });
    const env = {
      PATH: "/usr/bin:/bin",
      HOME: dir.path,
      TMPDIR: dir.join("tmp"),
      LANG: "C.UTF-8",
      DATA_DIR: dir.join("data"),
      ADMIN_TOKEN: adminToken,
      PORT: "0",
      HOST: "127.0.0.1",
      TRANSCRIPTION_BASE_URL: provider.baseUrl,
      DIALOGUE_SILENCE_GAP_SECONDS: "2",
    };
    const { bytes, speech } = await speechChunk({ seconds: 6, atMs: 2000, text: "Would you like a bag for that?" });
    const core = await startDenoNode("core", ["serve"], { env, dataDir: dir.join("data"), workDir: dir.path });
    try {
      const admin = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
      const get = async (path: string, headers: Record<string, string> = admin) => fetch(`${core.url}${path}`, { headers });

      expect((await get("/api/v1/admin/dialogues", { authorization: "Bearer not-the-token" })).status).toBe(401);
      const device = { pointId: randomUUID(), registerId: randomUUID(), deviceId: randomUUID(), token: randomUUID() };
      const registered = await fetch(`${core.url}/api/v1/admin/devices`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ point_id: device.pointId, register_id: device.registerId, device_id: device.deviceId, token_plain: device.token }),
      });
      expect(registered.status).toBe(201);

      const startTs = Date.now() - 60_000;
      const forged = await fetch(`${core.url}${chunkUploadPath}`, {
        method: "POST",
        body: uploadForm(device, { bytes, startTs, endTs: startTs + 6000 }, Date.now()),
        headers: { authorization: `Bearer ${randomUUID()}` },
      });
      expect(forged.status).toBe(401);
      const uploaded = await fetch(`${core.url}${chunkUploadPath}`, {
        method: "POST",
        body: uploadForm(device, { bytes, startTs, endTs: startTs + 6000 }, Date.now()),
        headers: { authorization: `Bearer ${device.token}` },
      });
      expect(uploaded.status).toBe(200);
      const { chunk_id, stored_path } = chunkUploadResponse.parse(await uploaded.json());
      expect(existsSync(dir.join("data/audio", stored_path))).toBe(true);

      type ChunkDetail = { vad: { status: string; audio_ms: number }; speech_segments: Array<{ offset_start_ms: number; offset_end_ms: number }> };
      let chunk: ChunkDetail | null = null;
      await waitUntil("the chunk's speech found", async () => {
        chunk = (await (await get(`/api/v1/admin/chunks/${chunk_id}`)).json()) as ChunkDetail;
        return chunk.vad.status !== "pending";
      }, 30_000, 100);
      const found = chunk as unknown as ChunkDetail;
      expect(found.vad).toMatchObject({ status: "done", audio_ms: 6000 });
      expect(found.speech_segments).toHaveLength(1);
      expect(Math.abs(found.speech_segments[0]!.offset_start_ms - speech.startMs)).toBeLessThanOrEqual(500);
      expect(Math.abs(found.speech_segments[0]!.offset_end_ms - speech.endMs)).toBeLessThanOrEqual(500);

      let dialogue: { dialogue_id: string; asr_status: string; analysis_status: string } | undefined;
      await waitUntil("the dialogue transcribed and analysed", async () => {
        [dialogue] = ((await (await get("/api/v1/admin/dialogues")).json()) as { dialogues: Array<typeof dialogue> }).dialogues;
        return dialogue?.analysis_status === "DONE";
      }, 30_000, 100);
      expect(dialogue).toMatchObject({ asr_status: "DONE", analysis_status: "DONE" });
      const transcript = (await (await get(`/api/v1/admin/dialogues/${dialogue!.dialogue_id}/transcript`)).json()) as { text: string };
      expect(transcript.text).toContain("would you like a bag");

      // The call-results API: a tenant and key made through the admin API, a result recorded and read back.
      const tenant = await fetch(`${core.url}/api/v1/admin/tenants`, { method: "POST", headers: admin, body: JSON.stringify({ name: "Acme" }) });
      expect(tenant.status).toBe(201);
      const tenantId = ((await tenant.json()) as { tenant: { id: string } }).tenant.id;
      const keyResponse = await fetch(`${core.url}/api/v1/admin/tenants/${tenantId}/api-keys`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ name: "dialer", scopes: ["call_results", "stats"] }),
      });
      expect(keyResponse.status).toBe(201);
      const key = ((await keyResponse.json()) as { key: string }).key;
      const result = { uniqueid: "1768467600.42", leadId: 1001, campaignId: "OUTBND", phoneNumber: "4155550100", disposition: "SALE", duration: 45, agentId: "agent001", startEpoch: 1_768_467_600 };
      const post = (headers: Record<string, string>, body: unknown) =>
        fetch(`${core.url}/api/v1/call-results`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

      expect((await post({}, result)).status).toBe(401);
      const invalid = await post({ "x-api-key": key }, { ...result, uniqueid: "" });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe("request.invalid");
      const recorded = await post({ "x-api-key": key }, result);
      expect(recorded.status).toBe(200);
      expect(await recorded.json()).toMatchObject({ success: true, data: { uniqueid: "1768467600.42", disposition: "SALE", result: "answered", outcome: "created" } });
      const readBack = await get("/api/v1/call-results/1768467600.42", { "x-api-key": key });
      expect(readBack.status).toBe(200);
      expect(await readBack.json()).toMatchObject({ success: true, data: { uniqueid: "1768467600.42", disposition: "SALE", duration: 45 } });
    } finally {
      expect(await core.stop("SIGTERM")).toBe(0);
      await provider.stop();
    }
  });
});
