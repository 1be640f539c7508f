/**
 * The compiled core as a user runs it: the x64 binary alone in an empty directory, with no Bun and
 * no node_modules reachable. It must ingest a chunk, find its speech with the WASM decoder and VAD
 * embedded in it, transcribe the dialogue through an OpenAI-compatible server and analyse it.
 * Build it first: npm run build.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { chunkUploadPath, chunkUploadResponse } from "../shared/contracts/chunk-upload.ts";
import { startNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { binaryPath } from "../scripts/build.ts";
import { uploadForm } from "./testing/core-test-app.ts";
import { startOpenAiCompatibleServer } from "./testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "./testing/sales-corpus.ts";
import { speechChunk } from "./testing/test-audio.ts";

const dirs: TempDir[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

describe("core-linux-x64", () => {
  test("ingests a chunk, finds its speech, transcribes and analyses the dialogue, from an empty directory", async () => {
    const source = binaryPath("core", "x64");
    if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
    const dir = makeTempDir("salescontrol-core-binary-");
    dirs.push(dir);
    const binary = dir.join("salescontrol-core");
    copyFileSync(source, binary);
    mkdirSync(dir.join("tmp"));
    const adminToken = randomUUID();
    const provider = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus });
    const env = {
      PATH: "/usr/bin:/bin",
      HOME: dir.path,
      TMPDIR: dir.join("tmp"),
      LANG: "C.UTF-8",
      ADMIN_TOKEN: adminToken,
      PORT: "0",
      HOST: "127.0.0.1",
      TRANSCRIPTION_BASE_URL: provider.baseUrl,
      DIALOGUE_SILENCE_GAP_SECONDS: "2",
    };
    const { bytes, speech } = await speechChunk({ seconds: 6, atMs: 2000, text: "Would you like a bag for that?" });
    const core = await startNodeProcess(binary, ["serve"], { cwd: dir.path, env });
    try {
      const admin = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
      const device = { pointId: randomUUID(), registerId: randomUUID(), deviceId: randomUUID(), token: randomUUID() };
      const registered = await fetch(`${core.url}/api/v1/admin/devices`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({ point_id: device.pointId, register_id: device.registerId, device_id: device.deviceId, token_plain: device.token }),
      });
      expect(registered.status).toBe(201);
      const startTs = Date.now() - 60_000;
      const uploaded = await fetch(`${core.url}${chunkUploadPath}`, {
        method: "POST",
        body: uploadForm(device, { bytes, startTs, endTs: startTs + 6000 }, Date.now()),
        headers: { authorization: `Bearer ${device.token}` },
      });
      expect(uploaded.status).toBe(200);
      const { chunk_id, stored_path } = chunkUploadResponse.parse(await uploaded.json());
      expect(existsSync(dir.join("data/core/audio", stored_path))).toBe(true);

      type ChunkDetail = { vad: { status: string; audio_ms: number }; speech_segments: Array<{ offset_start_ms: number; offset_end_ms: number }> };
      let chunk: ChunkDetail | null = null;
      for (let attempt = 0; attempt < 200; attempt++) {
        chunk = (await (await fetch(`${core.url}/api/v1/admin/chunks/${chunk_id}`, { headers: admin })).json()) as ChunkDetail;
        if (chunk!.vad.status !== "pending") break;
        await Bun.sleep(100);
      }
      expect(chunk!.vad).toMatchObject({ status: "done", audio_ms: 6000 });
      expect(chunk!.speech_segments).toHaveLength(1);
      expect(Math.abs(chunk!.speech_segments[0]!.offset_start_ms - speech.startMs)).toBeLessThanOrEqual(500);
      expect(Math.abs(chunk!.speech_segments[0]!.offset_end_ms - speech.endMs)).toBeLessThanOrEqual(500);

      let dialogue: { dialogue_id: string; analysis_status: string } | undefined;
      for (let attempt = 0; attempt < 300 && dialogue?.analysis_status !== "DONE"; attempt++) {
        await Bun.sleep(100);
        [dialogue] = ((await (await fetch(`${core.url}/api/v1/admin/dialogues`, { headers: admin })).json()) as { dialogues: Array<typeof dialogue> }).dialogues;
      }
      expect(dialogue).toMatchObject({ asr_status: "DONE", analysis_status: "DONE" });
      const transcript = (await (await fetch(`${core.url}/api/v1/admin/dialogues/${dialogue!.dialogue_id}/transcript`, { headers: admin })).json()) as { text: string };
      expect(transcript.text).toContain("would you like a bag");
      const analysis = (await (await fetch(`${core.url}/api/v1/admin/dialogues/${dialogue!.dialogue_id}/analysis`, { headers: admin })).json()) as {
        method: string;
        offers: Array<{ category: string; quote: { text: string; start: number; end: number } }>;
      };
      expect(analysis).toMatchObject({ method: "rules", offers: [{ category: "accessory" }] });
      expect(transcript.text.slice(analysis.offers[0]!.quote.start, analysis.offers[0]!.quote.end)).toBe(analysis.offers[0]!.quote.text);
    } finally {
      expect(await core.stop("SIGTERM")).toBe(0);
      await provider.stop();
    }
  });
});
