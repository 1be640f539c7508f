import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { asc } from "drizzle-orm";
import { createFakeClock, type FakeClock } from "../../../shared/testing/fake-clock.ts";
import { openTempDatabase, type TempDatabase } from "../../../shared/testing/temp-database.ts";
import { migrations } from "../../db/migrations.ts";
import * as schema from "../../db/schema.ts";
import { createDevicesRepository } from "../../devices/devices.repository.ts";
import { createIngestRepository } from "../../ingest/ingest.repository.ts";
import { applyVadResult, type VadDeps } from "../vad/vad.usecases.ts";
import { closeQuietDialogues, type DialogueSettings } from "./dialogues.usecases.ts";

let database: TempDatabase<typeof schema>;
let clock: FakeClock;
const device = { deviceId: randomUUID(), pointId: randomUUID(), registerId: randomUUID() };
const chunkMs = 60_000;
let timelineStart: number;

beforeEach(async () => {
  database = await openTempDatabase(migrations, schema);
  clock = createFakeClock();
  timelineStart = clock.now() - 3_600_000;
  await createDevicesRepository(database.db).insertDevice({ ...device, tokenHash: randomUUID(), createdAt: 0, updatedAt: 0, tokenRotatedAt: 0 });
});
afterEach(() => database.dispose());

function deps(settings: Partial<DialogueSettings> = {}): VadDeps {
  return { db: database.db, clock, settings: { silenceGapMs: 20_000, maxDialogueMs: 300_000, closeGraceMs: 86_400_000, ...settings } };
}

/** Chunk number `index` of the register's timeline (60 s each, back to back). */
async function addChunk(index: number): Promise<string> {
  const chunkId = `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;
  const startTs = timelineStart + index * chunkMs;
  await createIngestRepository(database.db).insertChunk({
    chunkId,
    ...device,
    startTs,
    endTs: startTs + chunkMs,
    codec: "opus",
    sampleRate: 48000,
    channels: 1,
    byteSize: 1,
    sha256: "0".repeat(64),
    storedPath: `${chunkId}.ogg`,
    receivedAt: clock.now(),
  });
  return chunkId;
}

/** Speech given as [start, end] seconds inside chunk `index`. */
async function speech(index: number, spans: Array<[number, number]>, settings?: Partial<DialogueSettings>) {
  const chunkId = await addChunk(index).catch(() => `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`);
  return applyVadResult(deps(settings), chunkId, { audio_ms: chunkMs, segments: spans.map(([start, end]) => ({ start_ms: start * 1000, end_ms: end * 1000 })) });
}

/** Dialogues as seconds on the timeline, with their members as chunk:offset. */
async function dialogueView() {
  const rows = await database.db.select().from(schema.dialogues).orderBy(asc(schema.dialogues.startTs));
  const members = await database.db.select().from(schema.dialogueSegments);
  return rows.map((row) => ({
    startS: (row.startTs - timelineStart) / 1000,
    endS: (row.endTs - timelineStart) / 1000,
    status: row.status,
    closeReason: row.closeReason,
    members: members
      .filter((member) => member.dialogueId === row.dialogueId)
      .map((member) => `${Number(member.chunkId.slice(-4))}:${member.offsetStartMs / 1000}`)
      .sort(),
  }));
}

async function snapshot() {
  return {
    dialogues: await database.db.select().from(schema.dialogues).orderBy(asc(schema.dialogues.dialogueId)),
    members: await database.db.select().from(schema.dialogueSegments).orderBy(asc(schema.dialogueSegments.speechSegmentId)),
    segments: await database.db.select().from(schema.speechSegments).orderBy(asc(schema.speechSegments.id)),
    chunks: await database.db.select().from(schema.audioChunks).orderBy(asc(schema.audioChunks.chunkId)),
  };
}

describe("dialogue building", () => {
  test("speech that crosses a chunk boundary stays one dialogue", async () => {
    await speech(0, [[5, 12], [50, 60]]);
    await speech(1, [[0, 8], [40, 45]]);
    expect(await dialogueView()).toEqual([
      { startS: 5, endS: 12, status: "closed", closeReason: "silence", members: ["0:5"] },
      { startS: 50, endS: 68, status: "closed", closeReason: "silence", members: ["0:50", "1:0"] },
      // Its 20 s of silence reach past the last chunk: not confirmed yet.
      { startS: 100, endS: 105, status: "open", closeReason: null, members: ["1:40"] },
    ]);
  });

  test("a dialogue stays open until the audio after it confirms the silence", async () => {
    await speech(0, [[30, 50]]);
    expect((await dialogueView())[0]).toMatchObject({ status: "open", closeReason: null });
    await speech(1, []);
    expect((await dialogueView())[0]).toMatchObject({ status: "closed", closeReason: "silence" });
  });

  test("chunks arriving out of order (after an outage) give the same dialogues as in order", async () => {
    const timeline: Array<[number, Array<[number, number]>]> = [
      [0, [[10, 20], [55, 60]]],
      [1, [[0, 30]]],
      [2, [[50, 60]]],
      [3, [[0, 3], [15, 18]]],
      [4, []],
      [5, [[1, 4], [30, 59]]],
      [6, [[0, 60]]],
    ];
    for (const [index, spans] of timeline) await speech(index, spans);
    const inOrder = await dialogueView();
    database.dispose();
    database = await openTempDatabase(migrations, schema);
    await createDevicesRepository(database.db).insertDevice({ ...device, tokenHash: randomUUID(), createdAt: 0, updatedAt: 0, tokenRotatedAt: 0 });
    for (const index of [5, 2, 6, 0, 4, 3, 1]) await speech(index, timeline[index]![1]);
    expect(await dialogueView()).toEqual(inOrder);
    expect(inOrder.map((dialogue) => [dialogue.startS, dialogue.endS])).toEqual([
      [10, 20],
      [55, 90],
      [170, 198],
      [301, 304],
      [330, 420],
    ]);
  });

  test("re-running a chunk's VAD with the same result changes nothing", async () => {
    for (const index of [0, 1, 2]) await speech(index, [[5, 15], [40, 59]]);
    const before = await snapshot();
    await clock.advance(5000);
    for (const index of [1, 0, 2]) {
      const outcome = await speech(index, [[5, 15], [40, 59]]);
      expect(outcome).toMatchObject({ segmentsChanged: false, dialogues: { created: 0, updated: 0, deleted: 0 } });
    }
    expect(await snapshot()).toEqual(before);
  });

  test("a late chunk that fills a silence joins two dialogues into one, keeping one identity with a new revision", async () => {
    await speech(0, [[40, 50]]);
    await speech(2, [[10, 20]]);
    const separate = await database.db.select().from(schema.dialogues).orderBy(asc(schema.dialogues.startTs));
    expect(separate).toHaveLength(2);
    const outcome = await speech(1, [[0, 25], [30, 59]]);
    expect(outcome.dialogues).toEqual({ created: 0, updated: 1, deleted: 1 });
    const joined = await database.db.select().from(schema.dialogues);
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatchObject({ dialogueId: separate[0]!.dialogueId, revision: 2, segmentCount: 4, startTs: timelineStart + 40_000, endTs: timelineStart + 140_000 });
  });

  test("a re-run that finds different speech moves the dialogue with it", async () => {
    await speech(0, [[10, 20], [30, 40]]);
    const [first] = await database.db.select().from(schema.dialogues);
    await speech(0, [[10, 20]]);
    const [after] = await database.db.select().from(schema.dialogues);
    expect(after).toMatchObject({ dialogueId: first!.dialogueId, revision: 2, endTs: timelineStart + 20_000, segmentCount: 1 });
    await speech(0, []);
    expect(await database.db.$count(schema.dialogues)).toBe(0);
    expect(await database.db.$count(schema.dialogueSegments)).toBe(0);
  });

  test("continuous talk longer than the maximum is split; the earlier parts close as max_length", async () => {
    for (let index = 0; index < 8; index++) await speech(index, [[0, 29], [30, 60]], { maxDialogueMs: 180_000 });
    const view = await dialogueView();
    expect(view.map((dialogue) => [dialogue.startS, dialogue.endS, dialogue.closeReason])).toEqual([
      [0, 180, "max_length"],
      [180, 360, "max_length"],
      [360, 480, null],
    ]);
  });

  test("a dialogue whose register goes quiet with no more audio closes after the grace period", async () => {
    await clock.set(timelineStart + chunkMs);
    await speech(0, [[30, 55]], { closeGraceMs: 180_000 });
    expect((await dialogueView())[0]!.status).toBe("open");
    const settings = deps({ closeGraceMs: 180_000 }).settings;
    await clock.set(timelineStart + 55_000 + 20_000 + 179_000);
    expect(await closeQuietDialogues(database.db, { clock, settings })).toBe(0);
    await clock.advance(1000);
    expect(await closeQuietDialogues(database.db, { clock, settings })).toBe(1);
    expect((await dialogueView())[0]).toMatchObject({ status: "closed", closeReason: "timeout" });
  });
});
