import { afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { createTestCore, type TestCore, type TestDevice } from "../../testing/core-test-app.ts";
import { noiseChunk } from "../../testing/test-audio.ts";
import { applyVadResult } from "../vad/vad.usecases.ts";

let core: TestCore;
let device: TestDevice;
let bytes: Uint8Array;

beforeAll(async () => {
  bytes = await noiseChunk(60);
});
beforeEach(async () => {
  core = await createTestCore();
  device = await core.registerDevice();
});
afterEach(() => core.dispose());

/** Uploads a chunk and records speech in it as if VAD had found it. */
async function chunkWithSpeech(startTs: number, segments: Array<[number, number]>): Promise<string> {
  const chunkId = randomUUID();
  expect((await core.upload(device, { bytes, chunkId, startTs, endTs: startTs + 60_000 })).status).toBe(200);
  const deps = { db: core.database.db, clock: core.clock, settings: { silenceGapMs: 20_000, maxDialogueMs: 900_000, closeGraceMs: 3_600_000 } };
  await applyVadResult(deps, chunkId, { audio_ms: 60_000, segments: segments.map(([start, end]) => ({ start_ms: start, end_ms: end })) });
  return chunkId;
}

const json = async (response: Response) => (await response.json()) as any;

describe("GET /api/v1/admin/dialogues", () => {
  test("lists a register's dialogues newest first, filtered by register, status and time", async () => {
    const start = core.clock.now() - 600_000;
    const first = await chunkWithSpeech(start, [[1000, 5000], [50_000, 60_000]]);
    const second = await chunkWithSpeech(start + 60_000, [[0, 4000], [50_000, 60_000]]);
    const other = await core.registerDevice();
    const list = await json(await core.admin(`/api/v1/admin/dialogues?register_id=${device.registerId}`));
    expect(list.dialogues.map((dialogue: any) => [dialogue.start_ts, dialogue.end_ts, dialogue.status, dialogue.segment_count])).toEqual([
      // Its silence gap reaches past the last chunk: still open.
      [new Date(start + 110_000).toISOString(), new Date(start + 120_000).toISOString(), "open", 1],
      [new Date(start + 50_000).toISOString(), new Date(start + 64_000).toISOString(), "closed", 2],
      [new Date(start + 1000).toISOString(), new Date(start + 5000).toISOString(), "closed", 1],
    ]);
    expect((await json(await core.admin(`/api/v1/admin/dialogues?register_id=${other.registerId}`))).dialogues).toEqual([]);
    expect((await json(await core.admin(`/api/v1/admin/dialogues?point_id=${device.pointId}&status=open`))).dialogues).toHaveLength(1);
    const window = await json(await core.admin(`/api/v1/admin/dialogues?from=${new Date(start + 30_000).toISOString()}&to=${new Date(start + 90_000).toISOString()}`));
    expect(window.dialogues).toHaveLength(1);
    expect((await json(await core.admin("/api/v1/admin/dialogues?limit=2"))).dialogues).toHaveLength(2);

    const detail = await json(await core.admin(`/api/v1/admin/dialogues/${list.dialogues[1].dialogue_id}`));
    // Revision 2: the dialogue grew when the second chunk's speech joined it.
    expect(detail).toMatchObject({ point_id: device.pointId, register_id: device.registerId, revision: 2, speech_ms: 14_000, close_reason: "silence" });
    expect(detail.segments.map((segment: any) => [segment.chunk_id, segment.offset_start_ms, segment.offset_end_ms])).toEqual([
      [first, 50_000, 60_000],
      [second, 0, 4000],
    ]);
  });

  test("refuses malformed filters and ids, and answers 404 for an unknown dialogue", async () => {
    for (const query of ["limit=0", "limit=5000", "status=archived", "from=yesterday", "point_id=../../etc"]) {
      const response = await core.admin(`/api/v1/admin/dialogues?${query}`);
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe("request.invalid");
    }
    expect((await core.admin("/api/v1/admin/dialogues/not-a-uuid")).status).toBe(400);
    const missing = await core.admin(`/api/v1/admin/dialogues/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe("dialogues.not_found");
  });
});
