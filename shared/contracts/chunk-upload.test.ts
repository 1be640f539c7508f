import { describe, expect, test } from "bun:test";
import { chunkUploadFields, chunkUploadFormFields, chunkUploadResponse, isCredentialRejection, isPermanentUploadRejection } from "./chunk-upload.ts";

const request = {
  pointId: "00000000-0000-0000-0000-000000000001",
  registerId: "00000000-0000-0000-0000-000000000002",
  deviceId: "00000000-0000-0000-0000-000000000003",
  startTs: Date.UTC(2026, 0, 15, 9, 0, 0),
  endTs: Date.UTC(2026, 0, 15, 9, 1, 0),
  sampleRate: 48000,
  channels: 1,
  chunkId: "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
  sha256: "a".repeat(64),
};

describe("chunk upload contract", () => {
  test("what the recorder sends is what the core accepts", () => {
    const parsed = chunkUploadFields.parse(chunkUploadFormFields(request));
    expect(parsed).toEqual({
      point_id: request.pointId,
      register_id: request.registerId,
      device_id: request.deviceId,
      start_ts: request.startTs,
      end_ts: request.endTs,
      codec: "opus",
      sample_rate: 48000,
      channels: 1,
      chunk_id: request.chunkId,
      sha256: request.sha256,
    });
  });

  test("seed-era fields without chunk_id/sha256 and Unix-second times are accepted", () => {
    const { chunk_id: _, sha256: __, ...legacy } = chunkUploadFormFields(request);
    const parsed = chunkUploadFields.parse({ ...legacy, start_ts: "1768467600", end_ts: "1768467660.5" });
    expect(parsed.start_ts).toBe(1_768_467_600_000);
    expect(parsed.end_ts).toBe(1_768_467_660_500);
    expect(parsed.chunk_id).toBeUndefined();
  });

  test.each([
    ["point_id", { point_id: "../../etc" }, "UUID"],
    ["start_ts", { start_ts: "yesterday" }, "RFC 3339"],
    ["end_ts", { end_ts: "2026-01-15T08:59:00.000Z" }, "after start_ts"],
    ["end_ts", { end_ts: "2026-01-15T11:00:00.000Z" }, "at most 3600 seconds"],
    ["codec", { codec: "mp3" }, 'codec must be "opus"'],
    ["sample_rate", { sample_rate: "44100" }, "one of 8000"],
    ["channels", { channels: "6" }, "1 or 2"],
    ["sha256", { sha256: "xyz" }, "64 hex digits"],
  ])("refuses a bad %s", (field, change, message) => {
    const result = chunkUploadFields.safeParse({ ...chunkUploadFormFields(request), ...change });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((candidate) => candidate.path[0] === field);
    expect(issue?.message).toContain(message);
  });

  test("the response keeps the seed's fields", () => {
    expect(chunkUploadResponse.parse({ status: "ok", chunk_id: "c", stored_path: "p/x.ogg", queued: true })).toEqual({
      status: "ok",
      chunk_id: "c",
      stored_path: "p/x.ogg",
      queued: true,
      duplicate: false,
    });
  });

  test("only rejections of the chunk itself are permanent; credential problems keep the chunk for later", () => {
    expect([400, 409, 413, 422].every(isPermanentUploadRejection)).toBe(true);
    expect([401, 403, 408, 425, 429, 500, 502, 503, 504].some(isPermanentUploadRejection)).toBe(false);
    expect([401, 403].every(isCredentialRejection)).toBe(true);
    expect([400, 409, 413, 422, 429, 500].some(isCredentialRejection)).toBe(false);
  });
});
