import { afterEach, beforeEach, expect, test } from "bun:test";
import { analysisQueueName } from "../../shared/contracts/analysis-jobs.ts";
import { asrQueueName } from "../../shared/contracts/asr-jobs.ts";
import { vadQueueName } from "../../shared/contracts/vad-jobs.ts";
import type { JobQueue } from "../../shared/jobs/job-queue.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { jobs } from "../db/schema.ts";
import { createTestCore, type TestCore } from "../testing/core-test-app.ts";
import { dialogueSettingsOf } from "./dialogues/dialogue-settings.ts";
import { startPipelineHousekeeping } from "./pipeline-housekeeping.ts";
import { createAnalysisJobQueue } from "./analysis/analysis-queue.ts";
import { createAsrJobQueue } from "./asr/asr-queue.ts";
import { createVadJobQueue } from "./vad/vad-jobs.ts";

let core: TestCore;
beforeEach(async () => {
  core = await createTestCore();
});
afterEach(() => core.dispose());

async function finishJob(queue: JobQueue, name: string): Promise<number> {
  await queue.enqueue(name, {});
  const job = (await queue.claim(name))!;
  await queue.complete(job);
  return job.id;
}

test("housekeeping purges done jobs of every pipeline queue after a day, and keeps younger ones", async () => {
  const db = core.database.db;
  const queues: Array<[JobQueue, string]> = [
    [createVadJobQueue(db, core.clock), vadQueueName],
    [createAsrJobQueue(db, core.clock), asrQueueName],
    [createAnalysisJobQueue(db, core.clock), analysisQueueName],
  ];
  for (const [queue, name] of queues) await finishJob(queue, name);
  await core.clock.advance(25 * 3600 * 1000);
  const young = await finishJob(queues[1]![0], asrQueueName);

  const shutdown = new AbortController();
  const loop = startPipelineHousekeeping({ db, clock: core.clock, settings: dialogueSettingsOf(core.config), stages: core.deps.stages, logger: silentLogger }, shutdown.signal);
  await waitUntil("the old jobs to be purged", async () => (await db.$count(jobs)) === 1);
  shutdown.abort();
  await loop.stopped;
  expect((await db.select().from(jobs)).map((job) => job.id)).toEqual([young]);
});
