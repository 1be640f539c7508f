import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../shared/log/logger.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { decodeOggOpus, encodeOpusFile } from "../testing/audio-fixtures.ts";
import { createTestSpool, type TestSpool } from "../testing/test-spool.ts";
import { chunkFileName, parseChunkFileName } from "./spool-layout.ts";
import { chunkIdFor, reconcileSpool, registerSegment } from "./spool.usecases.ts";

let spool: TestSpool;
beforeEach(async () => {
  spool = await createTestSpool();
});
afterEach(() => spool.dispose());

const device = "00000000-0000-0000-0000-000000000003";
const start = Date.UTC(2026, 0, 15, 9, 0, 0);

async function segmentFile(name: string, seconds: number, options: { silent?: boolean } = {}): Promise<string> {
  const dir = spool.dir.join("recording", "session-1");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  await encodeOpusFile(path, seconds, { segment: true, ...options });
  return path;
}

describe("registering a recorded segment", () => {
  test("becomes a pending chunk: a well-formed Ogg Opus file in outbox/ and a journal row", async () => {
    const partPath = await segmentFile("seg-000000.part", 2);
    const chunkId = chunkIdFor(device, "session-1", 0);
    const chunk = await registerSegment(spool.deps, { partPath, chunkId, startTs: start, endTs: start + 2000, salvaged: false });
    expect(chunk).toMatchObject({ chunkId, startTs: start, endTs: start + 2000, path: `outbox/${chunkFileName({ chunkId, startTs: start, endTs: start + 2000 })}` });
    expect(existsSync(partPath)).toBe(false);
    const bytes = new Uint8Array(readFileSync(spool.dir.join("spool", chunk!.path)));
    expect((await decodeOggOpus(bytes)).errors).toBe(0);
    const row = await spool.deps.repository.getChunk(chunkId);
    expect(row).toMatchObject({ state: "pending", sha256: sha256Hex(bytes), bytes: bytes.length, startTs: start, endTs: start + 2000, attempts: 0, lastError: null });
    expect(row!.audioMs).toBeGreaterThanOrEqual(2000);
    expect(row!.maxVolumeDb).toBeGreaterThan(-30);
    expect((await spool.deps.repository.counters()).recorded_total).toBe(1);
  });

  test("registering the same segment again (a crash between file and row) makes no second chunk", async () => {
    const partPath = await segmentFile("seg-000001.part", 1);
    const backup = `${partPath}.copy`;
    copyFileSync(partPath, backup);
    const chunkId = chunkIdFor(device, "session-1", 1);
    await registerSegment(spool.deps, { partPath, chunkId, startTs: start, endTs: start + 1000, salvaged: false });
    renameSync(backup, partPath);
    await registerSegment(spool.deps, { partPath, chunkId, startTs: start, endTs: start + 1000, salvaged: true });
    expect(existsSync(partPath)).toBe(false);
    expect(readdirSync(spool.dir.join("spool/outbox"))).toHaveLength(1);
    expect(await spool.deps.repository.totals()).toMatchObject({ files: 1, pendingCount: 1 });
    expect((await spool.deps.repository.counters()).recorded_total).toBe(1);
  });

  test("a silent microphone is measured as silent", async () => {
    const partPath = await segmentFile("seg-000002.part", 1, { silent: true });
    const chunk = await registerSegment(spool.deps, { partPath, chunkId: chunkIdFor(device, "s", 2), startTs: start, endTs: start + 1000, salvaged: false });
    expect(chunk!.level!.maxDb).toBeLessThanOrEqual(-90);
  });

  test("a segment ffmpeg only opened, or one that is not Ogg at all, is removed without a chunk", async () => {
    const dir = spool.dir.join("recording", "session-1");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "seg-000003.part"), "");
    writeFileSync(join(dir, "seg-000004.part"), "not audio at all");
    const full = await segmentFile("seg-000005.part", 1);
    const headersOnly = join(dir, "seg-000006.part");
    writeFileSync(headersOnly, readFileSync(full).subarray(0, 100));
    for (const [index, name] of [[3, "seg-000003.part"], [4, "seg-000004.part"], [6, "seg-000006.part"]] as const) {
      expect(await registerSegment(spool.deps, { partPath: join(dir, name), chunkId: chunkIdFor(device, "s", index), startTs: start, endTs: null, salvaged: true })).toBeNull();
      expect(existsSync(join(dir, name))).toBe(false);
    }
    expect((await spool.deps.repository.totals()).files).toBe(0);
  });

  test("a cut-off segment without known times ends at its last write and lasts what its audio lasts", async () => {
    const partPath = await segmentFile("seg-000007.part", 1.5);
    const full = readFileSync(partPath);
    writeFileSync(partPath, full.subarray(0, Math.floor(full.length * 0.8)));
    const chunk = await registerSegment(spool.deps, { partPath, chunkId: chunkIdFor(device, "s", 7), startTs: null, endTs: null, salvaged: true });
    expect(chunk!.audioMs).toBeGreaterThan(0);
    expect(chunk!.audioMs).toBeLessThan(1500);
    expect(chunk!.endTs - chunk!.startTs).toBe(chunk!.audioMs);
    expect((await spool.deps.repository.counters()).salvaged_total).toBe(1);
  });

  test("a span that disagrees with the audio (the clock jumped inside the chunk) ends at the later reading", async () => {
    const partPath = await segmentFile("seg-000008.part", 1);
    const endTs = start + 10 * 60_000;
    const chunk = await registerSegment(spool.deps, { partPath, chunkId: chunkIdFor(device, "s", 8), startTs: start, endTs, salvaged: false });
    expect(chunk!.endTs).toBe(endTs);
    expect(chunk!.endTs - chunk!.startTs).toBe(chunk!.audioMs);
  });

  test("chunk ids are UUIDs derived from device, run and segment; file names carry id and times", () => {
    const id = chunkIdFor(device, "session-1", 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(chunkIdFor(device, "session-1", 0)).toBe(id);
    expect(chunkIdFor(device, "session-1", 1)).not.toBe(id);
    expect(chunkIdFor("00000000-0000-0000-0000-000000000004", "session-1", 0)).not.toBe(id);
    const name = chunkFileName({ chunkId: id, startTs: start, endTs: start + 60_000 });
    expect(name).toBe(`20260115T090000.000Z_20260115T090100.000Z_${id}.ogg`);
    expect(parseChunkFileName(name)).toEqual({ chunkId: id, startTs: start, endTs: start + 60_000 });
    expect(parseChunkFileName("../../etc/passwd")).toBeNull();
    expect(parseChunkFileName(`20260115T090100.000Z_20260115T090000.000Z_${id}.ogg`)).toBeNull();
  });
});

describe("reconciling journal and spool after a crash", () => {
  async function registered(index: number) {
    const partPath = await segmentFile(`seg-00001${index}.part`, 1);
    return (await registerSegment(spool.deps, { partPath, chunkId: chunkIdFor(device, "r", index), startTs: start + index * 1000, endTs: start + index * 1000 + 1000, salvaged: false }))!;
  }

  test("a chunk file whose row was never written is adopted with its own id and times", async () => {
    const chunk = await registered(0);
    await spool.database.client.execute("DELETE FROM chunks");
    const report = await spool.deps.lock.run(() => reconcileSpool(spool.deps));
    expect(report).toMatchObject({ adopted: 1, missing: 0 });
    expect(await spool.deps.repository.getChunk(chunk.chunkId)).toMatchObject({ state: "pending", startTs: chunk.startTs, endTs: chunk.endTs, path: chunk.path });
  });

  test("a move interrupted half-way is finished; a missing unsent file is recorded as lost and counted", async () => {
    const moved = await registered(1);
    const lost = await registered(2);
    await spool.deps.repository.markUploaded(moved.chunkId, { path: moved.path.replace("outbox/", "sent/"), uploadedAt: start, storedPath: "x" });
    renameSync(spool.dir.join("spool", lost.path), spool.dir.join("elsewhere.ogg"));
    const lines: string[] = [];
    const report = await reconcileSpool({ ...spool.deps, logger: createLogger({ node: "pi", write: (line) => lines.push(line) }) });
    expect(report).toMatchObject({ moved: 1, missing: 1, adopted: 0 });
    expect(existsSync(spool.dir.join("spool", moved.path.replace("outbox/", "sent/")))).toBe(true);
    expect(await spool.deps.repository.getChunk(lost.chunkId)).toMatchObject({ state: "discarded", discardReason: "missing" });
    expect((await spool.deps.repository.counters()).deleted_unsent_total).toBe(1);
    expect(lines.map((line) => JSON.parse(line).msg)).toContain("unsent chunk file is missing; recorded as lost");
  });

  test("leftovers of interrupted writes and copies the journal no longer wants are removed; foreign files stay and are reported", async () => {
    const chunk = await registered(3);
    writeFileSync(spool.dir.join("spool/outbox/.half-written.ogg.a1b2c3.tmp"), "x");
    copyFileSync(spool.dir.join("spool", chunk.path), spool.dir.join("spool/sent", chunk.path.slice("outbox/".length)));
    writeFileSync(spool.dir.join("spool/outbox/README.txt"), "operator notes");
    const report = await reconcileSpool(spool.deps);
    expect(report.strayRemoved).toBe(2);
    expect(report.foreign).toEqual([{ path: "outbox/README.txt", bytes: 14, modifiedAt: expect.any(Number) }]);
    expect(readdirSync(spool.dir.join("spool/sent"))).toEqual([]);
    expect(readdirSync(spool.dir.join("spool/outbox")).sort()).toEqual(["README.txt", chunk.path.slice("outbox/".length)].sort());
  });
});
