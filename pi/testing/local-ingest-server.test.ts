import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { chunkUploadFormFields, chunkUploadPath } from "../../shared/contracts/chunk-upload.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { encodeOpusFile } from "./audio-fixtures.ts";
import { type LocalIngestServer, startLocalIngestServer } from "./local-ingest-server.ts";

const token = "device-token-0123456789";
const deviceId = "00000000-0000-0000-0000-000000000003";
let fixtures: TempDir;
let audio: Uint8Array;
let otherAudio: Uint8Array;
beforeAll(async () => {
  fixtures = makeTempDir();
  await encodeOpusFile(fixtures.join("chunk.ogg"), 1);
  await encodeOpusFile(fixtures.join("other.ogg"), 0.5);
  audio = new Uint8Array(readFileSync(fixtures.join("chunk.ogg")));
  otherAudio = new Uint8Array(readFileSync(fixtures.join("other.ogg")));
});
afterAll(() => fixtures.remove());
let ingest: LocalIngestServer;
beforeEach(async () => {
  ingest = await startLocalIngestServer({ devices: { [token]: deviceId } });
});
afterEach(() => ingest.stop());

const chunkId = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";

function form(overrides: Record<string, string> = {}, file: Uint8Array | null = audio): FormData {
  const body = new FormData();
  const fields = chunkUploadFormFields({
    pointId: "00000000-0000-0000-0000-000000000001",
    registerId: "00000000-0000-0000-0000-000000000002",
    deviceId,
    startTs: Date.UTC(2026, 0, 15, 9, 0, 0),
    endTs: Date.UTC(2026, 0, 15, 9, 0, 1),
    sampleRate: 48000,
    channels: 1,
    chunkId,
    sha256: file ? sha256Hex(file) : "0".repeat(64),
  });
  for (const [name, value] of Object.entries({ ...fields, ...overrides })) body.set(name, value);
  if (file) body.set("chunk_file", new Blob([file as Uint8Array<ArrayBuffer>], { type: "audio/ogg" }), "chunk.ogg");
  return body;
}

async function post(body: FormData | string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) {
  const response = await fetch(`${ingest.url}${chunkUploadPath}`, { method: "POST", body, headers });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe("local ingest server (the shared upload contract)", () => {
  test("stores a chunk and answers with the contract's response; a re-send is a duplicate, stored once", async () => {
    expect(await post(form())).toEqual({ status: 200, body: { status: "ok", chunk_id: chunkId, stored_path: `00000000-0000-0000-0000-000000000001/${chunkId}.ogg`, queued: true, duplicate: false } });
    expect((await post(form())).body).toMatchObject({ chunk_id: chunkId, duplicate: true });
    expect(ingest.stored()).toHaveLength(1);
    expect(ingest.stored()[0]!.bytes).toEqual(audio);
    expect(ingest.duplicateCount()).toBe(1);
  });

  test("refuses a missing or unknown token (401) and a token of another device (403)", async () => {
    expect(await post(form(), {})).toMatchObject({ status: 401, body: { error: { code: "auth.missing_token" } } });
    expect(await post(form(), { authorization: "Bearer someone-else" })).toMatchObject({ status: 401, body: { error: { code: "auth.invalid_token" } } });
    const other = form({ device_id: "00000000-0000-0000-0000-000000000009" });
    expect(await post(other)).toMatchObject({ status: 403, body: { error: { code: "ingest.device_mismatch" } } });
    expect(ingest.stored()).toEqual([]);
  });

  test("refuses broken input with the contract's codes and stores nothing", async () => {
    expect(await post("not multipart", { authorization: `Bearer ${token}`, "content-type": "multipart/form-data; boundary=x" })).toMatchObject({ status: 400, body: { error: { code: "ingest.malformed_multipart" } } });
    expect(await post(form({ point_id: "../../etc/passwd" }))).toMatchObject({ status: 400, body: { error: { code: "ingest.invalid_field" } } });
    expect(await post(form({}, null))).toMatchObject({ status: 400, body: { error: { code: "ingest.missing_file" } } });
    const wav = new TextEncoder().encode("RIFF0000WAVEfmt ".repeat(4));
    expect(await post(form({ sha256: sha256Hex(wav) }, wav))).toMatchObject({ status: 422, body: { error: { code: "ingest.not_ogg_opus" } } });
    expect(await post(form({ sha256: "a".repeat(64) }))).toMatchObject({ status: 422, body: { error: { code: "ingest.checksum_mismatch" } } });
    const cut = audio.slice(0, audio.length - 10);
    expect(await post(form({ sha256: sha256Hex(cut) }, cut))).toMatchObject({ status: 422, body: { error: { code: "ingest.not_ogg_opus" } } });
    const hourAhead = Date.now() + 3600_000;
    const ahead = form({ start_ts: new Date(hourAhead).toISOString(), end_ts: new Date(hourAhead + 1000).toISOString() });
    expect(await post(ahead)).toMatchObject({ status: 425, body: { error: { code: "ingest.clock_ahead" } } });
    expect(ingest.stored()).toEqual([]);
  });

  test("the same chunk_id with other bytes is a conflict (409)", async () => {
    await post(form());
    expect(await post(form({}, otherAudio))).toMatchObject({ status: 409, body: { error: { code: "ingest.chunk_conflict" } } });
  });

  test("modes: down refuses connections and comes back on the same port; flaky answers 500", async () => {
    await ingest.setMode({ kind: "down" });
    await expect(fetch(`${ingest.url}${chunkUploadPath}`, { method: "POST", body: form() })).rejects.toThrow();
    await ingest.setMode({ kind: "flaky", failureRate: 1 });
    expect((await post(form())).status).toBe(500);
    await ingest.setMode({ kind: "up" });
    expect((await post(form())).status).toBe(200);
  });

  test("drop-after-body stores the chunk but never answers", async () => {
    await ingest.setMode({ kind: "drop-after-body", failureRate: 1 });
    await expect(fetch(`${ingest.url}${chunkUploadPath}`, { method: "POST", body: form(), headers: { authorization: `Bearer ${token}` } })).rejects.toThrow();
    expect(ingest.stored()).toHaveLength(1);
  });
});
