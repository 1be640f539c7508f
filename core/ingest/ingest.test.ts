import { afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chunkUploadPath, chunkUploadResponse } from "../../shared/contracts/chunk-upload.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { audioChunks, jobs } from "../db/schema.ts";
import { createTestCore, filesUnder, type TestCore, type TestDevice, testAdminToken, testInternalToken, uploadForm } from "../testing/core-test-app.ts";
import { noiseChunk, opusBomb } from "../testing/test-audio.ts";
import { legacyChunkId } from "./ingest.usecases.ts";

let core: TestCore;
let device: TestDevice;
let bytes: Uint8Array;
let stereo: Uint8Array;
let vorbis: Uint8Array;

beforeAll(async () => {
  bytes = await noiseChunk(2);
  stereo = await noiseChunk(2, { channels: 2 });
  const dir = makeTempDir();
  try {
    const path = dir.join("vorbis.ogg");
    await runCommand("ffmpeg", ["-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libvorbis", path]);
    vorbis = new Uint8Array(readFileSync(path));
  } finally {
    dir.remove();
  }
});
beforeEach(async () => {
  core = await createTestCore();
  device = await core.registerDevice();
});
afterEach(() => core.dispose());

function storedFiles(): string[] {
  return filesUnder(core.config.audioStoragePath);
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, code: body.error.code, message: body.error.message };
}

async function expectNothingStored(): Promise<void> {
  expect(storedFiles()).toEqual([]);
  expect(await core.database.db.$count(audioChunks)).toBe(0);
  expect(await core.database.db.$count(jobs)).toBe(0);
}

describe("POST /api/v1/chunks", () => {
  test("stores the file under <point>/<date>/<register>/ and queues its VAD job", async () => {
    const chunkId = randomUUID();
    const startTs = Date.UTC(2026, 0, 15, 8, 58, 0);
    const response = await core.upload(device, { bytes, chunkId, startTs, endTs: startTs + 2000 });
    expect(response.status).toBe(200);
    const body = chunkUploadResponse.parse(await response.json());
    const storedPath = `${device.pointId}/2026-01-15/${device.registerId}/085800-${chunkId}.ogg`;
    expect(body).toEqual({ status: "ok", chunk_id: chunkId, stored_path: storedPath, queued: true, duplicate: false });
    expect(storedFiles()).toEqual([storedPath]);
    expect(Buffer.compare(readFileSync(join(core.config.audioStoragePath, storedPath)), bytes)).toBe(0);
    const [row] = await core.database.db.select().from(audioChunks);
    expect(row).toMatchObject({
      chunkId,
      deviceId: device.deviceId,
      startTs,
      endTs: startTs + 2000,
      codec: "opus",
      channels: 1,
      byteSize: bytes.length,
      sha256: sha256Hex(bytes),
      vadStatus: "pending",
    });
    const [job] = await core.database.db.select().from(jobs);
    expect(job).toMatchObject({ queue: "vad", dedupeKey: chunkId, state: "queued" });
    expect(JSON.parse(job!.payload)).toEqual({ chunk_id: chunkId, start_ts: startTs, end_ts: startTs + 2000, channels: 1 });
  });

  test("the same chunk uploaded again answers the same chunk_id and stores nothing new", async () => {
    const chunkId = randomUUID();
    const first = chunkUploadResponse.parse(await (await core.upload(device, { bytes, chunkId, startTs: core.clock.now() - 60_000 })).json());
    const second = chunkUploadResponse.parse(await (await core.upload(device, { bytes, chunkId, startTs: core.clock.now() - 60_000 })).json());
    expect(second).toEqual({ ...first, duplicate: true });
    expect(storedFiles()).toHaveLength(1);
    expect(await core.database.db.$count(audioChunks)).toBe(1);
    expect(await core.database.db.$count(jobs)).toBe(1);
    expect(core.metrics.render()).toContain('ingest_chunks_total{result="duplicate"} 1');
  });

  test("a seed-era recorder (no chunk_id or sha256, Unix-second times) is stored, and its retry recognised", async () => {
    const startSeconds = Math.floor(core.clock.now() / 1000) - 120;
    const fields = { chunk_id: null, sha256: null, start_ts: String(startSeconds), end_ts: String(startSeconds + 2) };
    const first = chunkUploadResponse.parse(await (await core.upload(device, { bytes }, { fields })).json());
    expect(first.chunk_id).toBe(legacyChunkId(device.deviceId, startSeconds * 1000));
    const retry = chunkUploadResponse.parse(await (await core.upload(device, { bytes }, { fields })).json());
    expect(retry).toEqual({ ...first, duplicate: true });
    expect(storedFiles()).toHaveLength(1);
  });

  test("a stereo recorder's chunk is accepted with channels=2", async () => {
    expect((await core.upload(device, { bytes: stereo, channels: 2 })).status).toBe(200);
  });

  test("the admin sees a stored chunk with its VAD state", async () => {
    const chunkId = randomUUID();
    await core.upload(device, { bytes, chunkId });
    const response = await core.admin(`/api/v1/admin/chunks/${chunkId}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ chunk_id: chunkId, device_id: device.deviceId, byte_size: bytes.length, vad: { status: "pending" }, speech_segments: [] });
    expect((await errorOf(await core.admin(`/api/v1/admin/chunks/${randomUUID()}`))).code).toBe("ingest.chunk_not_found");
    expect((await core.admin("/api/v1/admin/chunks/..%2F..%2Fetc")).status).toBe(400);
  });
});

describe("validation: each rule refuses with its code and writes nothing", () => {
  const now = Date.UTC(2026, 0, 15, 9, 0, 0);
  test.each<[string, Record<string, string | null>, number, string, string]>([
    ["point_id not a UUID", { point_id: "point-1" }, 400, "ingest.invalid_field", "point_id: must be a UUID"],
    ["register_id missing", { register_id: null }, 400, "ingest.invalid_field", "register_id"],
    ["device_id not a UUID", { device_id: "123" }, 400, "ingest.invalid_field", "device_id: must be a UUID"],
    ["start_ts not a time", { start_ts: "yesterday" }, 400, "ingest.invalid_field", "start_ts: must be an RFC 3339"],
    ["end_ts before start_ts", { start_ts: new Date(now - 60_000).toISOString(), end_ts: new Date(now - 120_000).toISOString() }, 400, "ingest.invalid_field", "end_ts must be after start_ts"],
    ["a chunk longer than an hour", { start_ts: new Date(now - 7_200_000).toISOString(), end_ts: new Date(now).toISOString() }, 400, "ingest.invalid_field", "at most 3600 seconds"],
    ["end_ts far in the future (retryable)", { start_ts: new Date(now + 3_600_000).toISOString(), end_ts: new Date(now + 3_660_000).toISOString() }, 425, "ingest.clock_ahead", "in the future"],
    ["start_ts before 2020 (unset clock)", { start_ts: "1970-01-01T00:10:00.000Z", end_ts: "1970-01-01T00:11:00.000Z" }, 400, "ingest.invalid_field", "before 2020"],
    ["codec not opus", { codec: "mp3" }, 400, "ingest.invalid_field", 'codec must be "opus"'],
    ["sample_rate not an Opus rate", { sample_rate: "44100" }, 400, "ingest.invalid_field", "sample_rate must be one of"],
    ["channels out of range", { channels: "6" }, 400, "ingest.invalid_field", "channels must be 1 or 2"],
    ["channels disagreeing with the file", { channels: "2" }, 400, "ingest.invalid_field", "Opus header says 1"],
    ["sha256 malformed", { sha256: "abc" }, 400, "ingest.invalid_field", "sha256 must be 64 hex digits"],
    ["sha256 of other bytes", { sha256: "0".repeat(64) }, 422, "ingest.checksum_mismatch", "does not match its sha256"],
    ["chunk_id not a UUID", { chunk_id: "../../chunk" }, 400, "ingest.invalid_field", "chunk_id: must be a UUID"],
  ])("%s", async (_, fields, status, code, message) => {
    const refused = await errorOf(await core.upload(device, { bytes }, { fields }));
    expect(refused).toMatchObject({ status, code });
    expect(refused.message).toContain(message);
    await expectNothingStored();
  });

  test("a field sent twice or as a file", async () => {
    const twice = uploadForm(device, { bytes }, core.clock.now());
    twice.append("codec", "opus");
    const asFile = uploadForm(device, { bytes }, core.clock.now(), { point_id: null });
    asFile.append("point_id", new File([device.pointId], "point.txt"));
    for (const [form, message] of [[twice, "codec: sent 2 times"], [asFile, "point_id: must be a text field"]] as const) {
      const refused = await errorOf(await core.app.request(chunkUploadPath, { method: "POST", body: form, headers: { authorization: `Bearer ${device.token}` } }));
      expect(refused).toMatchObject({ status: 400, code: "ingest.invalid_field" });
      expect(refused.message).toContain(message);
    }
    await expectNothingStored();
  });

  test("no file, two files, an empty file", async () => {
    const none = uploadForm(device, { bytes }, core.clock.now());
    none.delete("chunk_file");
    const two = uploadForm(device, { bytes }, core.clock.now());
    two.append("chunk_file", new File([bytes as Uint8Array<ArrayBuffer>], "again.ogg"));
    for (const form of [none, two]) {
      const refused = await errorOf(await core.app.request(chunkUploadPath, { method: "POST", body: form, headers: { authorization: `Bearer ${device.token}` } }));
      expect(refused).toMatchObject({ status: 400, code: "ingest.missing_file" });
    }
    expect(await errorOf(await core.upload(device, { bytes: new Uint8Array(0) }))).toMatchObject({ status: 422, code: "ingest.not_ogg_opus" });
    await expectNothingStored();
  });

  test("a non-OGG file named .ogg, and an OGG file that is not Opus", async () => {
    const text = new TextEncoder().encode("#!/bin/sh\nrm -rf /\n".repeat(100));
    const notOgg = await errorOf(await core.upload(device, { bytes: text }));
    expect(notOgg).toMatchObject({ status: 422, code: "ingest.not_ogg_opus" });
    expect(notOgg.message).toContain("no OggS");
    const notOpus = await errorOf(await core.upload(device, { bytes: vorbis }));
    expect(notOpus).toMatchObject({ status: 422, code: "ingest.not_ogg_opus" });
    expect(notOpus.message).toContain("no OpusHead");
    await expectNothingStored();
  });

  test("an OGG/Opus file that is damaged inside or cut short", async () => {
    const damaged = bytes.slice();
    damaged[Math.floor(damaged.length / 2)]! ^= 0x10;
    const crc = await errorOf(await core.upload(device, { bytes: damaged }));
    expect(crc).toMatchObject({ status: 422, code: "ingest.not_ogg_opus" });
    expect(crc.message).toContain("CRC mismatch");
    const truncated = await errorOf(await core.upload(device, { bytes: bytes.subarray(0, bytes.length - 100) }));
    expect(truncated).toMatchObject({ status: 422, code: "ingest.not_ogg_opus" });
    expect(truncated.message).toContain("truncated");
    await expectNothingStored();
  });

  test("a body that is not multipart, or is cut short", async () => {
    const json = await errorOf(await core.app.request(chunkUploadPath, { method: "POST", body: "{}", headers: { authorization: `Bearer ${device.token}`, "content-type": "application/json" } }));
    expect(json).toMatchObject({ status: 400, code: "ingest.malformed_multipart" });
    const request = new Request("http://core/", { method: "POST", body: uploadForm(device, { bytes }, core.clock.now()) });
    const contentType = request.headers.get("content-type")!;
    const full = new Uint8Array(await request.arrayBuffer());
    const truncated = await errorOf(
      await core.app.request(chunkUploadPath, {
        method: "POST",
        body: full.subarray(0, Math.floor(full.length / 2)),
        headers: { authorization: `Bearer ${device.token}`, "content-type": contentType },
      }),
    );
    expect(truncated).toMatchObject({ status: 400, code: "ingest.malformed_multipart" });
    expect(truncated.message).toContain("cannot be parsed");
    await expectNothingStored();
  });

  test("a declared body over the limit is refused before it is read", async () => {
    const response = await core.app.request(chunkUploadPath, {
      method: "POST",
      body: "x",
      headers: { authorization: `Bearer ${device.token}`, "content-type": "multipart/form-data; boundary=x", "content-length": String(64 * 1024 * 1024) },
    });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: "request.body_too_large" });
    await expectNothingStored();
  });

  test("a chunk_id or start time already used with other content is a conflict", async () => {
    const chunkId = randomUUID();
    const startTs = core.clock.now() - 60_000;
    expect((await core.upload(device, { bytes, chunkId, startTs })).status).toBe(200);
    const otherBytes = await noiseChunk(1);
    const sameId = await errorOf(await core.upload(device, { bytes: otherBytes, chunkId, startTs }));
    expect(sameId).toMatchObject({ status: 409, code: "ingest.chunk_conflict" });
    expect(sameId.message).toContain("different bytes");
    const sameStart = await errorOf(await core.upload(device, { bytes: otherBytes, chunkId: randomUUID(), startTs }));
    expect(sameStart).toMatchObject({ status: 409, code: "ingest.chunk_conflict" });
    const movedTimes = await errorOf(await core.upload(device, { bytes, chunkId, startTs: startTs - 5000 }));
    expect(movedTimes).toMatchObject({ status: 409, code: "ingest.chunk_conflict" });
    const other = await core.registerDevice();
    const stolenId = await errorOf(await core.upload(other, { bytes, chunkId }));
    expect(stolenId).toMatchObject({ status: 409, code: "ingest.chunk_conflict" });
    expect(stolenId.message).toContain("another device");
    expect(storedFiles()).toHaveLength(1);
    expect(await core.database.db.$count(audioChunks)).toBe(1);
  });
});

describe("chunk times against the audio", () => {
  test.each([
    ["whose granule positions tell the truth", undefined],
    ["whose granule positions claim 60 s", 60],
  ])("an audio bomb (2-byte packets of 120 ms each) %s, declared as a 60 s chunk, is refused by what its packets decode to", async (_, claimedSeconds) => {
    const bomb = opusBomb(bytes, 1800, { claimedSeconds });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const startTs = core.clock.now() - 120_000;
    const refused = await errorOf(await core.upload(device, { bytes: bomb, startTs, endTs: startTs + 60_000 }));
    expect(refused).toMatchObject({ status: 422, code: "ingest.span_mismatch" });
    expect(refused.message).toContain("spans 60.000 s but its Opus packets decode to 1799.994 s");
    await expectNothingStored();
  });

  test("a 2 s file declared as 1 ms or as an hour is refused; a span within 2 s + 1 % of the audio is accepted", async () => {
    const startTs = core.clock.now() - 3_700_000;
    for (const spanMs of [1, 3_600_000, 4_100]) {
      const refused = await errorOf(await core.upload(device, { bytes, startTs, endTs: startTs + spanMs }));
      expect(refused).toMatchObject({ status: 422, code: "ingest.span_mismatch" });
    }
    await expectNothingStored();
    expect((await core.upload(device, { bytes, startTs, endTs: startTs + 3_900 })).status).toBe(200);
    expect((await core.upload(device, { bytes, startTs: startTs + 10_000, endTs: startTs + 10_500 })).status).toBe(200);
  });

  test.each([
    ["2026-02-30T10:00:00Z", "day 30 does not exist in 2026-02"],
    ["2025-02-29T10:00:00.000Z", "day 29 does not exist in 2025-02"],
    ["2026-01-15T24:00:00Z", "time 24:00:00 does not exist"],
    ["2026-01-15T09:00:00+99:99", "UTC offset +99:99 does not exist"],
    ["2026-13-01T09:00:00Z", "month 13 does not exist"],
  ])("an impossible date %s is refused, not rolled over", async (startText, problem) => {
    const refused = await errorOf(await core.upload(device, { bytes }, { fields: { start_ts: startText } }));
    expect(refused).toMatchObject({ status: 400, code: "ingest.invalid_field" });
    expect(refused.message).toContain(`start_ts: is not a real date and time: ${problem}`);
    await expectNothingStored();
  });

  test("29 February of a leap year is a real date", async () => {
    await core.clock.set(Date.UTC(2028, 1, 29, 12, 0, 0));
    const fields = { start_ts: "2028-02-29T10:00:00Z", end_ts: "2028-02-29T10:00:02Z" };
    expect((await core.upload(device, { bytes }, { fields })).status).toBe(200);
  });
});

describe("overlapping chunks of one device", () => {
  const second = 1000;

  test("contiguous chunks are accepted; one that overlaps an earlier chunk is refused with the chunk it overlaps, and nothing of it is stored", async () => {
    const start = core.clock.now() - 600_000;
    const first = randomUUID();
    expect((await core.upload(device, { bytes, chunkId: first, startTs: start, endTs: start + 2 * second })).status).toBe(200);
    expect((await core.upload(device, { bytes, startTs: start + 2 * second, endTs: start + 4 * second })).status).toBe(200);
    // Timestamp rounding between consecutive segments (a few ms) is not an overlap.
    expect((await core.upload(device, { bytes, startTs: start + 4 * second - 5, endTs: start + 6 * second })).status).toBe(200);
    const overlapping = randomUUID();
    const refused = await errorOf(await core.upload(device, { bytes, chunkId: overlapping, startTs: start + second, endTs: start + 3 * second }));
    expect(refused).toMatchObject({ status: 409, code: "ingest.chunk_overlap" });
    expect(refused.message).toContain(`overlaps chunk ${first}`);
    expect(refused.message).toContain("clock stepped back");
    expect(storedFiles().filter((file) => file.includes(overlapping))).toEqual([]);
    expect(await core.database.db.$count(audioChunks)).toBe(3);
    expect(await core.database.db.$count(jobs)).toBe(3);
    // A chunk inside another one, and one that covers another one, are overlaps too.
    for (const [from, to] of [[start + 500, start + 1500], [start - 500, start + 2500]] as const) {
      const longer = from === start - 500 ? await noiseChunk(3) : await noiseChunk(1);
      expect(await errorOf(await core.upload(device, { bytes: longer, startTs: from, endTs: to }))).toMatchObject({ status: 409, code: "ingest.chunk_overlap" });
    }
  });

  test("another device at the same register and time is not an overlap", async () => {
    const start = core.clock.now() - 600_000;
    const other = await core.registerDevice();
    expect((await core.upload(device, { bytes, startTs: start, endTs: start + 2 * second })).status).toBe(200);
    expect((await core.upload(other, { bytes, startTs: start + second, endTs: start + 3 * second })).status).toBe(200);
  });

  test("a Pi whose clock steps back after a reboot: the chunks stamped over earlier ones are refused, the rest go on, and no speech is stored twice", async () => {
    const bootAt = core.clock.now() - 900_000;
    // Before the power cut: 09:00:00–09:00:08 in four chunks.
    for (let index = 0; index < 4; index++) {
      expect((await core.upload(device, { bytes, startTs: bootAt + index * 2 * second, endTs: bootAt + (index + 1) * 2 * second })).status).toBe(200);
    }
    // After the reboot the clock restarts 3 s in the past (a saved clock), records three chunks, then NTP steps it forward.
    const steppedBack = bootAt + 5 * second;
    const answers = [];
    for (let index = 0; index < 3; index++) {
      answers.push((await core.upload(device, { bytes, startTs: steppedBack + index * 2 * second, endTs: steppedBack + (index + 1) * 2 * second })).status);
    }
    expect(answers).toEqual([409, 409, 200]);
    const afterStep = bootAt + 60 * second;
    expect((await core.upload(device, { bytes, startTs: afterStep, endTs: afterStep + 2 * second })).status).toBe(200);
    const spans = (await core.database.db.select().from(audioChunks)).map((row) => [row.startTs, row.endTs] as const).sort((a, b) => a[0] - b[0]);
    for (let index = 1; index < spans.length; index++) expect(spans[index]![0]).toBeGreaterThanOrEqual(spans[index - 1]![1]);
    expect(spans).toHaveLength(6);
  });
});

describe("security", () => {
  test("no token, a wrong token, the admin token and the internal token are refused", async () => {
    for (const [token, code] of [
      [null, "auth.missing_token"],
      ["not-a-device-token-123", "auth.invalid_token"],
      [testAdminToken, "auth.invalid_token"],
      [testInternalToken, "auth.invalid_token"],
    ] as const) {
      expect(await errorOf(await core.upload(device, { bytes }, { token }))).toMatchObject({ status: 401, code });
    }
    await expectNothingStored();
  });

  test("a device cannot upload as another device, point or register", async () => {
    const other = await core.registerDevice();
    const mismatches: Array<Record<string, string>> = [{ device_id: other.deviceId }, { point_id: other.pointId }, { register_id: other.registerId }];
    for (const fields of mismatches) {
      const refused = await errorOf(await core.upload(device, { bytes }, { fields }));
      expect(refused).toMatchObject({ status: 403, code: "ingest.device_mismatch" });
      expect(refused.message).toContain(Object.keys(fields)[0]!);
    }
    await expectNothingStored();
  });

  test("a disabled device is refused", async () => {
    await core.admin(`/api/v1/admin/devices/${device.deviceId}/disable`, { method: "POST" });
    expect(await errorOf(await core.upload(device, { bytes }))).toMatchObject({ status: 403, code: "ingest.device_disabled" });
    await expectNothingStored();
  });
});
