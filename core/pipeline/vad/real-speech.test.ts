/**
 * Real speech end to end: espeak-ng sentences at known offsets over pink noise, encoded by ffmpeg
 * like the recorder does (OGG/Opus 24 kbps, chunks cut from one recording), uploaded through the
 * core's HTTP API on a real socket, found by the in-process VAD and grouped into dialogues.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { loadConfig } from "../../../shared/config/config-loader.ts";
import { chunkUploadPath, chunkUploadResponse } from "../../../shared/contracts/chunk-upload.ts";
import { MetricsRegistry } from "../../../shared/http/metrics.ts";
import { silentLogger } from "../../../shared/log/logger.ts";
import { systemClock } from "../../../shared/runtime/clock.ts";
import { openTempDatabase } from "../../../shared/testing/temp-database.ts";
import { makeTempDir, type TempDir } from "../../../shared/testing/temp-dir.ts";
import { coreConfigSpec } from "../../config.ts";
import { migrations } from "../../db/migrations.ts";
import * as schema from "../../db/schema.ts";
import { coreNode } from "../../node.ts";
import { testAdminToken, uploadForm } from "../../testing/core-test-app.ts";
import { encodeChunk, mixOverNoise, type PlacedSpeech, speakSentence } from "../../testing/test-audio.ts";

const chunkMs = 12_000;
let audioDir: TempDir;
let spoken: PlacedSpeech[];
let chunks: Uint8Array[];

beforeAll(async () => {
  audioDir = makeTempDir("salescontrol-speech-");
  const sentences = [
    { text: "Good morning, can I help you?", voice: "en-us" },
    { text: "Just the bread, thank you.", voice: "en+f3" },
    { text: "We also have fresh croissants today.", voice: "en-us" },
    { text: "Oh, then one croissant please.", voice: "en+f3" },
  ];
  const voiced = await Promise.all(sentences.map((sentence, index) => speakSentence(audioDir, sentence, index)));
  // First conversation inside chunk 1; the second starts with a sentence across the boundary.
  const starts: number[] = [];
  starts[0] = 600;
  starts[1] = starts[0] + voiced[0]!.durationMs + 1200;
  starts[2] = chunkMs - Math.round(voiced[2]!.durationMs / 2);
  starts[3] = starts[2] + voiced[2]!.durationMs + 1200;
  if (starts[2] - (starts[1] + voiced[1]!.durationMs) < 4000 || starts[3] + voiced[3]!.durationMs > 2 * chunkMs - 1000) {
    throw new Error(`the sentences do not fit the layout: ${JSON.stringify({ starts, durations: voiced.map((item) => item.durationMs) })}`);
  }
  spoken = sentences.map((sentence, index) => ({ text: sentence.text, startMs: starts[index]!, endMs: starts[index]! + voiced[index]!.durationMs }));
  const recording = await mixOverNoise(audioDir, 2 * chunkMs, voiced.map((item, index) => ({ path: item.path, startMs: starts[index]! })));
  chunks = [await encodeChunk(audioDir, recording, 0, chunkMs, "chunk-1"), await encodeChunk(audioDir, recording, chunkMs, chunkMs, "chunk-2")];
});
afterAll(() => audioDir?.remove());

interface RunningCore {
  url: string;
  admin(path: string): Promise<any>;
  stop(): Promise<void>;
}

/** The core as `serve` runs it (HTTP server, VAD loop, housekeeping) on a fresh data directory. */
async function startCore(): Promise<RunningCore> {
  const database = await openTempDatabase(migrations, schema);
  const config = loadConfig(coreConfigSpec, {
    env: { DATA_DIR: database.dir.path, ADMIN_TOKEN: testAdminToken, HOST: "127.0.0.1", PORT: "0", DIALOGUE_SILENCE_GAP_SECONDS: "3" },
    dotenvPath: null,
  }).values;
  const shutdown = new AbortController();
  const running = await coreNode.serve({ config, database, logger: silentLogger, metrics: new MetricsRegistry(), clock: systemClock, shutdown: shutdown.signal });
  return {
    url: running.url,
    admin: async (path) => (await fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${testAdminToken}` } })).json(),
    async stop() {
      shutdown.abort();
      await running.stop();
      database.dispose();
    },
  };
}

async function uploadConversation(core: RunningCore, order: number[]) {
  const device = { pointId: randomUUID(), registerId: randomUUID(), deviceId: randomUUID(), token: `speech-${randomUUID()}` };
  const registered = await fetch(`${core.url}/api/v1/admin/devices`, {
    method: "POST",
    headers: { authorization: `Bearer ${testAdminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ point_id: device.pointId, register_id: device.registerId, device_id: device.deviceId, token_plain: device.token }),
  });
  expect(registered.status).toBe(201);
  const recordedAt = Math.floor((Date.now() - 120_000) / 1000) * 1000;
  const chunkIds: string[] = [];
  for (const index of order) {
    const startTs = recordedAt + index * chunkMs;
    const form = uploadForm(device, { bytes: chunks[index]!, startTs, endTs: startTs + chunkMs }, Date.now());
    const response = await fetch(`${core.url}${chunkUploadPath}`, { method: "POST", body: form, headers: { authorization: `Bearer ${device.token}` } });
    expect(response.status).toBe(200);
    chunkIds[index] = chunkUploadResponse.parse(await response.json()).chunk_id;
  }
  for (const chunkId of chunkIds) await waitForVad(core, chunkId);
  return { device, recordedAt, chunkIds };
}

async function waitForVad(core: RunningCore, chunkId: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const chunk = await core.admin(`/api/v1/admin/chunks/${chunkId}`);
    if (chunk.vad.status !== "pending") {
      expect(chunk.vad.status).toBe("done");
      return;
    }
    await Bun.sleep(100);
  }
  throw new Error(`VAD did not finish chunk ${chunkId}`);
}

const msOf = (iso: string, origin: number) => Date.parse(iso) - origin;

describe("real speech through the real API", () => {
  let core: RunningCore;
  beforeAll(async () => {
    core = await startCore();
  });
  afterAll(async () => {
    await core?.stop();
  });

  test("detected speech matches the spoken sentences within 0.5 s, across the chunk boundary", async () => {
    const { recordedAt, chunkIds } = await uploadConversation(core, [0, 1]);
    const detected: Array<{ startMs: number; endMs: number }> = [];
    for (const chunkId of chunkIds) {
      const chunk = await core.admin(`/api/v1/admin/chunks/${chunkId}`);
      expect(chunk.vad.audio_ms).toBeGreaterThanOrEqual(chunkMs - 50);
      for (const segment of chunk.speech_segments) {
        const span = { startMs: msOf(segment.start_ts, recordedAt), endMs: msOf(segment.end_ts, recordedAt) };
        const previous = detected.at(-1);
        // The sentence cut by the chunk boundary comes back as two touching segments.
        if (previous && span.startMs - previous.endMs <= 100) previous.endMs = span.endMs;
        else detected.push(span);
      }
    }
    expect(detected.length).toBe(spoken.length);
    detected.forEach((span, index) => {
      expect(Math.abs(span.startMs - spoken[index]!.startMs)).toBeLessThanOrEqual(500);
      expect(Math.abs(span.endMs - spoken[index]!.endMs)).toBeLessThanOrEqual(500);
    });
  });

  test("the conversation spanning two chunks is one dialogue, the earlier one another; arrival order does not matter", async () => {
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const { device, recordedAt, chunkIds } = await uploadConversation(core, order);
      const list = await core.admin(`/api/v1/admin/dialogues?register_id=${device.registerId}`);
      const dialogues = [...list.dialogues].sort((a: any, b: any) => Date.parse(a.start_ts) - Date.parse(b.start_ts));
      expect(dialogues).toHaveLength(2);
      const [first, second] = dialogues;
      expect(Math.abs(msOf(first.start_ts, recordedAt) - spoken[0]!.startMs)).toBeLessThanOrEqual(500);
      expect(Math.abs(msOf(first.end_ts, recordedAt) - spoken[1]!.endMs)).toBeLessThanOrEqual(500);
      expect(Math.abs(msOf(second.start_ts, recordedAt) - spoken[2]!.startMs)).toBeLessThanOrEqual(500);
      expect(Math.abs(msOf(second.end_ts, recordedAt) - spoken[3]!.endMs)).toBeLessThanOrEqual(500);
      expect(dialogues.map((dialogue: any) => [dialogue.status, dialogue.close_reason])).toEqual([
        ["closed", "silence"],
        ["closed", "silence"],
      ]);
      const detail = await core.admin(`/api/v1/admin/dialogues/${second.dialogue_id}`);
      expect(new Set(detail.segments.map((segment: any) => segment.chunk_id))).toEqual(new Set(chunkIds));
    }
  });
});
