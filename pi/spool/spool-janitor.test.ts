import { afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { createLogger } from "../../shared/log/logger.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { encodeOpusFile } from "../testing/audio-fixtures.ts";
import { createTestSpool, markSent, registerCopies, type TestSpool } from "../testing/test-spool.ts";
import { diskReserveBytes, runJanitorPass } from "./spool-janitor.ts";
import type { RegisteredChunk } from "./spool.usecases.ts";

let fixtures: TempDir;
beforeAll(async () => {
  fixtures = makeTempDir();
  await encodeOpusFile(fixtures.join("one-second.part"), 1, { segment: true });
});
let spool: TestSpool;
beforeEach(async () => {
  spool = await createTestSpool();
});
afterEach(() => spool.dispose());

const minute = 60_000;
const noDisk = () => null;

/** Chunks of a recording that started `ageMinutes` ago, one per minute, oldest first. */
function recordChunks(count: number, ageMinutes: number): Promise<RegisteredChunk[]> {
  const startTs = (index: number) => spool.deps.clock.now() - (ageMinutes - index) * minute;
  return registerCopies(spool.deps, fixtures.join("one-second.part"), { count, session: `s${ageMinutes}`, startTs, durationMs: 1000 });
}

const stateOf = async (chunk: RegisteredChunk) => (await spool.deps.repository.getChunk(chunk.chunkId))?.state ?? "forgotten";

describe("spool janitor", () => {
  test("over quota, uploaded chunks go first, oldest first, before any unsent one", async () => {
    const chunks = await recordChunks(6, 10);
    for (const chunk of chunks.slice(2, 4)) await markSent(spool.deps, chunk);
    const size = chunks[0]!.bytes;
    // Room for four chunks: the two uploaded ones go, every unsent one stays.
    const report = await runJanitorPass(spool.deps, { maxSpoolDays: 7, maxSpoolBytes: size * 4 + 10, inFlightChunkId: () => null, diskSpace: noDisk });
    expect(report).toMatchObject({ deletedUploaded: 2, deletedUnsent: 0 });
    expect(await Promise.all(chunks.map(stateOf))).toEqual(["pending", "pending", "forgotten", "forgotten", "pending", "pending"]);
    expect(readdirSync(spool.dir.join("spool/sent"))).toEqual([]);
    expect(await spool.deps.repository.counters()).toMatchObject({ deleted_uploaded_total: 2, deleted_unsent_total: 0 });
  });

  test("when uploaded chunks are not enough, the oldest unsent ones go, each logged and counted", async () => {
    const chunks = await recordChunks(5, 10);
    await markSent(spool.deps, chunks[4]!);
    const lines: string[] = [];
    const logger = createLogger({ node: "pi", write: (line) => lines.push(line) });
    const size = chunks[0]!.bytes;
    const report = await runJanitorPass({ ...spool.deps, logger }, { maxSpoolDays: 7, maxSpoolBytes: size * 2 + 10, inFlightChunkId: () => null, diskSpace: noDisk });
    expect(report).toMatchObject({ deletedUploaded: 1, deletedUnsent: 2 });
    expect(await Promise.all(chunks.map(stateOf))).toEqual(["discarded", "discarded", "pending", "pending", "forgotten"]);
    expect(await spool.deps.repository.getChunk(chunks[0]!.chunkId)).toMatchObject({ discardReason: "quota" });
    expect(existsSync(spool.dir.join("spool", chunks[0]!.path))).toBe(false);
    const warnings = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "deleted an unsent chunk to free the spool");
    expect(warnings.map((entry) => entry.chunkId)).toEqual([chunks[0]!.chunkId, chunks[1]!.chunkId]);
    expect(await spool.deps.repository.totals()).toMatchObject({ files: 2, bytes: size * 2, pendingCount: 2 });
    expect(await spool.deps.repository.counters()).toMatchObject({ deleted_uploaded_total: 1, deleted_unsent_total: 2 });
  });

  test("files in outbox/ that are not this recorder's chunks count in the quota and go by age or in their turn", async () => {
    const chunks = await recordChunks(3, 10);
    const size = chunks[0]!.bytes;
    const foreign = (name: string, ageMinutes: number) => {
      const path = spool.dir.join("spool/outbox", name);
      writeFileSync(path, Buffer.alloc(size));
      const at = (spool.deps.clock.now() - ageMinutes * minute) / 1000;
      utimesSync(path, at, at);
    };
    foreign("copied-by-hand.ogg", 3 * 24 * 60); // older than max_spool_days
    foreign("notes.wav", 9.5); // between the first and second chunk
    foreign("20260101T000000.000Z_20260101T000100.000Z_00000000-0000-4000-8000-000000000000.ogg", 1); // our naming, not Ogg Opus
    const within = await runJanitorPass(spool.deps, { maxSpoolDays: 2, maxSpoolBytes: size * 10, inFlightChunkId: () => null, diskSpace: noDisk });
    expect(within).toMatchObject({ deletedForeign: 1, deletedUnsent: 0, foreignFiles: 2, foreignBytes: size * 2 });
    expect(existsSync(spool.dir.join("spool/outbox/copied-by-hand.ogg"))).toBe(false);

    // Five files of one size, room for three: the oldest chunk, then the foreign file after it.
    const report = await runJanitorPass(spool.deps, { maxSpoolDays: 2, maxSpoolBytes: size * 3 + 10, inFlightChunkId: () => null, diskSpace: noDisk });
    expect(report).toMatchObject({ deletedUnsent: 1, deletedForeign: 1, foreignFiles: 1, foreignBytes: size });
    expect(await Promise.all(chunks.map(stateOf))).toEqual(["discarded", "pending", "pending"]);
    expect(readdirSync(spool.dir.join("spool/outbox"))).not.toContain("notes.wav");
    expect(readdirSync(spool.dir.join("spool/outbox")).length).toBe(3);
  });

  test("the chunk being uploaded is never deleted, even when it is the oldest", async () => {
    const chunks = await recordChunks(3, 10);
    const size = chunks[0]!.bytes;
    await runJanitorPass(spool.deps, { maxSpoolDays: 7, maxSpoolBytes: size + 10, inFlightChunkId: () => chunks[0]!.chunkId, diskSpace: noDisk });
    expect(await Promise.all(chunks.map(stateOf))).toEqual(["pending", "discarded", "discarded"]);
  });

  test("chunks older than max_spool_days go, uploaded or not; younger ones stay", async () => {
    const old = await recordChunks(2, 3 * 24 * 60);
    const young = await recordChunks(2, 30);
    await markSent(spool.deps, old[0]!);
    const report = await runJanitorPass(spool.deps, { maxSpoolDays: 2, maxSpoolBytes: 1e12, inFlightChunkId: () => null, diskSpace: noDisk });
    expect(report).toMatchObject({ deletedUploaded: 1, deletedUnsent: 1 });
    expect(await Promise.all([...old, ...young].map(stateOf))).toEqual(["forgotten", "discarded", "pending", "pending"]);
    expect(await spool.deps.repository.getChunk(old[1]!.chunkId)).toMatchObject({ discardReason: "age" });
  });

  test("a nearly full disk lowers the limit below the quota, keeping the reserve free", async () => {
    const chunks = await recordChunks(4, 10);
    const size = chunks[0]!.bytes;
    const totalBytes = 16e9;
    const reserve = diskReserveBytes(totalBytes);
    expect(reserve).toBe(800e6);
    // Free space is one chunk short of the reserve: one chunk must go although the quota is far away.
    const report = await runJanitorPass(spool.deps, {
      maxSpoolDays: 7,
      maxSpoolBytes: 20e9,
      inFlightChunkId: () => null,
      diskSpace: () => ({ totalBytes, freeBytes: reserve - size }),
    });
    expect(report.limitBytes).toBe(size * 3);
    expect(report.deletedUnsent).toBe(1);
    expect(await stateOf(chunks[0]!)).toBe("discarded");
  });

  test("what ffmpeg is writing is never touched, even when every chunk must go; within quota nothing goes", async () => {
    const chunks = await recordChunks(2, 10);
    mkdirSync(spool.dir.join("spool/recording/live"), { recursive: true });
    copyFileSync(fixtures.join("one-second.part"), spool.dir.join("spool/recording/live/seg-000000.part"));
    const report = await runJanitorPass(spool.deps, { maxSpoolDays: 7, maxSpoolBytes: 1, inFlightChunkId: () => null, diskSpace: noDisk });
    expect(report.deletedUnsent).toBe(2);
    expect(existsSync(spool.dir.join("spool/recording/live/seg-000000.part"))).toBe(true);
    const roomy = await runJanitorPass(spool.deps, { maxSpoolDays: 7, maxSpoolBytes: 1e9, inFlightChunkId: () => null, diskSpace: noDisk });
    expect(roomy).toMatchObject({ deletedUploaded: 0, deletedUnsent: 0 });
    expect(chunks).toHaveLength(2);
  });
});
