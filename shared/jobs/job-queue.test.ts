import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createFakeClock, type FakeClock } from "../testing/fake-clock.ts";
import { migrationsForSchema, openTempDatabase, type TempDatabase } from "../testing/temp-database.ts";
import { openDatabase } from "../db/open-database.ts";
import { backoffDelayMs } from "./backoff.ts";
import { createJobQueue, type JobQueue } from "./job-queue.ts";
import { jobs } from "./jobs.schema.ts";

const schema = { jobs };
let database: TempDatabase<typeof schema>;
let clock: FakeClock;
let queue: JobQueue;

beforeEach(async () => {
  database = await openTempDatabase(await migrationsForSchema(schema), schema);
  clock = createFakeClock();
  queue = createJobQueue(database.db, { clock, backoff: { initialMs: 1000, maxMs: 60_000, jitter: 0 }, leaseMs: 30_000, maxAttempts: 3 });
});
afterEach(() => database.dispose());

describe("job queue", () => {
  test("a job is claimed once, completed, and never claimed again", async () => {
    const { id, created } = await queue.enqueue("vad", { chunkId: "c1" });
    expect(created).toBe(true);
    const claimed = await queue.claim("vad");
    expect(claimed).toMatchObject({ id, queue: "vad", payload: { chunkId: "c1" }, attempt: 1, maxAttempts: 3 });
    expect(await queue.claim("vad")).toBeNull();
    expect(await queue.complete(claimed!)).toBe(true);
    expect(await queue.claim("vad")).toBeNull();
    expect((await queue.get(id))?.state).toBe("done");
  });

  test("enqueueing with the same dedupe key returns the existing job", async () => {
    const first = await queue.enqueue("vad", { n: 1 }, { dedupeKey: "chunk-1" });
    const second = await queue.enqueue("vad", { n: 2 }, { dedupeKey: "chunk-1" });
    expect(second).toEqual({ id: first.id, created: false });
    const other = await queue.enqueue("asr", { n: 3 }, { dedupeKey: "chunk-1" });
    expect(other.created).toBe(true);
    expect((await queue.counts()).vad).toEqual({ queued: 1, running: 0, done: 0, dead: 0 });
  });

  test("jobs run oldest first and not before their time", async () => {
    await queue.enqueue("q", { n: "later" }, { runAt: clock.now() + 5000 });
    await queue.enqueue("q", { n: "first" });
    await queue.enqueue("q", { n: "second" });
    expect((await queue.claim("q"))?.payload).toEqual({ n: "first" });
    expect((await queue.claim("q"))?.payload).toEqual({ n: "second" });
    expect(await queue.claim("q")).toBeNull();
    await clock.advance(5000);
    expect((await queue.claim("q"))?.payload).toEqual({ n: "later" });
  });

  test("a failed job backs off exponentially, then goes dead with its error visible", async () => {
    const { id } = await queue.enqueue("asr", {});
    let job = await queue.claim("asr");
    expect(await queue.fail(job!, "provider timed out")).toBe("retrying");
    expect(await queue.claim("asr")).toBeNull();
    await clock.advance(999);
    expect(await queue.claim("asr")).toBeNull();
    await clock.advance(1);
    job = await queue.claim("asr");
    expect(job?.attempt).toBe(2);
    expect(await queue.fail(job!, "provider returned 500")).toBe("retrying");
    await clock.advance(2000);
    job = await queue.claim("asr");
    expect(job?.attempt).toBe(3);
    expect(await queue.fail(job!, "invalid JSON from provider")).toBe("dead");
    await clock.advance(3_600_000);
    expect(await queue.claim("asr")).toBeNull();
    const row = await queue.get(id);
    expect(row).toMatchObject({ state: "dead", attempts: 3, lastError: "invalid JSON from provider" });
    expect((await queue.listDead("asr")).map((dead) => dead.id)).toEqual([id]);

    expect(await queue.retryDead(id)).toBe(true);
    expect((await queue.claim("asr"))?.attempt).toBe(1);
  });

  test("a permanent failure goes dead at once", async () => {
    const { id } = await queue.enqueue("q", {});
    expect(await queue.fail((await queue.claim("q"))!, "file is not OGG", { permanent: true })).toBe("dead");
    expect((await queue.get(id))?.state).toBe("dead");
  });

  test("a worker that disappears loses only its lease; a stale worker cannot finish the job", async () => {
    const { id } = await queue.enqueue("q", {});
    const lost = await queue.claim("q");
    await clock.advance(29_999);
    expect(await queue.claim("q")).toBeNull();
    await clock.advance(1);
    const takenOver = await queue.claim("q");
    expect(takenOver).toMatchObject({ id, attempt: 2 });
    expect(await queue.complete(lost!)).toBe(false);
    expect(await queue.fail(lost!, "late")).toBe("lease_lost");
    expect(await queue.heartbeat(lost!)).toBe(false);
    expect(await queue.complete(takenOver!)).toBe(true);
  });

  test("heartbeats keep a long job's lease", async () => {
    await queue.enqueue("q", {});
    const job = await queue.claim("q");
    for (let minute = 0; minute < 5; minute++) {
      await clock.advance(20_000);
      expect(await queue.heartbeat(job!)).toBe(true);
      expect(await queue.claim("q")).toBeNull();
    }
    expect(await queue.complete(job!)).toBe(true);
  });

  test("a lease that expires on the last attempt makes the job dead, not retried forever", async () => {
    const { id } = await queue.enqueue("q", {}, { maxAttempts: 1 });
    await queue.claim("q");
    await clock.advance(30_000);
    expect(await queue.claim("q")).toBeNull();
    expect(await queue.get(id)).toMatchObject({ state: "dead", lastError: "lease expired on the last attempt (worker lost)" });
  });

  test("concurrent claimers never get the same job", async () => {
    for (let index = 0; index < 40; index++) await queue.enqueue("q", { index });
    const claims = await Promise.all(Array.from({ length: 60 }, () => queue.claim("q")));
    const ids = claims.filter((claim) => claim !== null).map((claim) => claim!.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  test("claimers on separate connections to the same file never get the same job", async () => {
    for (let index = 0; index < 30; index++) await queue.enqueue("q", { index });
    const second = openDatabase({ url: database.url }, schema);
    try {
      const otherQueue = createJobQueue(second.db, { clock, backoff: { initialMs: 1000, maxMs: 60_000 }, leaseMs: 30_000, maxAttempts: 3 });
      const claims = await Promise.all(Array.from({ length: 25 }, (_, index) => (index % 2 === 0 ? queue : otherQueue).claim("q")).concat(
        Array.from({ length: 25 }, (_, index) => (index % 2 === 0 ? otherQueue : queue).claim("q")),
      ));
      const ids = claims.filter((claim) => claim !== null).map((claim) => claim!.id);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    } finally {
      second.close();
    }
  });

  test("finished jobs can be purged; dead ones stay", async () => {
    await queue.enqueue("q", {});
    await queue.enqueue("q", {});
    await queue.complete((await queue.claim("q"))!);
    await queue.fail((await queue.claim("q"))!, "bad", { permanent: true });
    await clock.advance(1000);
    expect(await queue.deleteFinishedBefore(clock.now())).toBe(1);
    expect((await queue.counts()).q).toEqual({ queued: 0, running: 0, done: 0, dead: 1 });
  });

  test("a queue's done jobs are purged in bounded steps; its backlog counts what is left to do", async () => {
    for (let index = 0; index < 5; index++) await queue.enqueue("q", { index });
    await queue.enqueue("other", {});
    for (let index = 0; index < 3; index++) await queue.complete((await queue.claim("q"))!);
    await queue.complete((await queue.claim("other"))!);
    await queue.claim("q");
    await clock.advance(1000);
    expect(await queue.backlog("q")).toEqual({ queued: 1, running: 1, dead: 0 });
    expect(await queue.deleteFinishedBefore(clock.now(), { queue: "q", limit: 2 })).toBe(2);
    expect(await queue.deleteFinishedBefore(clock.now(), { queue: "q", limit: 2 })).toBe(1);
    expect(await queue.deleteFinishedBefore(clock.now(), { queue: "q", limit: 2 })).toBe(0);
    expect((await queue.counts()).other?.done).toBe(1);
    expect((await queue.counts()).q).toEqual({ queued: 1, running: 1, done: 0, dead: 0 });
  });
});

describe("backoffDelayMs", () => {
  test("doubles from the initial delay and stops at the cap", () => {
    const policy = { initialMs: 2000, maxMs: 300_000, jitter: 0 };
    expect([1, 2, 3, 4, 8, 9, 100].map((attempt) => backoffDelayMs(attempt, policy))).toEqual([2000, 4000, 8000, 16000, 256_000, 300_000, 300_000]);
  });

  test("jitter spreads delays below the ceiling and never above it", () => {
    const policy = { initialMs: 2000, maxMs: 60_000, jitter: 0.5 };
    expect(backoffDelayMs(3, policy, () => 0)).toBe(8000);
    expect(backoffDelayMs(3, policy, () => 0.999999)).toBe(4000);
    const samples = Array.from({ length: 200 }, () => backoffDelayMs(10, policy));
    expect(Math.max(...samples)).toBeLessThanOrEqual(60_000);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(30_000);
    expect(new Set(samples).size).toBeGreaterThan(50);
  });
});
