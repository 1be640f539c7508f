import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { openDatabase } from "../../shared/db/open-database.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { startHttpServer } from "../../shared/runtime/http-server.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { createTestCore, testAdminToken, testInternalToken } from "../testing/core-test-app.ts";
import { startWorkerProcess, waitFor } from "../testing/pipeline-test-kit.ts";
import { tallyFilePath, tallyQueueName, tallyStage } from "../testing/tally-stage.ts";
import { pipelineStages } from "./pipeline-stages.ts";

const entryWithTally = join(import.meta.dir, "../testing/core-with-tally-stage.ts");
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const readTally = (dataDir: string, lineId: string) => {
  const path = tallyFilePath(dataDir, lineId);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>) : null;
};

describe("a stage added to the list alone", () => {
  test("runs inside `serve`, and shows in /health and /metrics", async () => {
    const dir = makeTempDir();
    cleanups.push(() => dir.remove());
    const databaseUrl = `file:${dir.join("core.db")}`;
    const core = await startNodeProcess(process.execPath, [entryWithTally, "serve"], {
      cwd: dir.path,
      env: { PATH: process.env.PATH!, DATA_DIR: dir.path, DATABASE_URL: databaseUrl, ADMIN_TOKEN: testAdminToken, INTERNAL_TOKEN: testInternalToken, HOST: "127.0.0.1", PORT: "0" },
    });
    cleanups.push(() => core.stop());
    // Jobs are rows in the core's database: queue them beside the running core, as a feature of its own would.
    const database = openDatabase({ url: databaseUrl });
    cleanups.push(() => database.close());
    const queue = tallyStage.createQueue(database.db as unknown as CoreDatabase, systemClock);
    const lines = { hello: randomUUID(), russian: randomUUID(), refused: randomUUID() };
    await queue.enqueue(tallyQueueName, { line_id: lines.hello, text: "hello" });
    await queue.enqueue(tallyQueueName, { line_id: lines.russian, text: "Привет, мир" });
    await queue.enqueue(tallyQueueName, { line_id: lines.refused, text: "fail this line" });

    await waitFor("the three lines to be tallied", async () => Object.values(lines).every((lineId) => readTally(dir.path, lineId) !== null));
    expect(readTally(dir.path, lines.hello)).toEqual({ characters: 5, worker: "core" });
    expect(readTally(dir.path, lines.russian)).toEqual({ characters: 11, worker: "core" });
    expect(readTally(dir.path, lines.refused)).toEqual({ failed: 'refusing to tally "fail this line"' });

    const admin = { headers: { authorization: `Bearer ${testAdminToken}` } };
    const health = (await (await fetch(`${core.url}/health`, admin)).json()) as Record<string, any>;
    expect(health.tally).toEqual({ inProcess: true, queue: expect.objectContaining({ queued: 0, running: 0, dead: 1 }) });
    expect(health.loops.map((loop: { name: string }) => loop.name)).toContain("tally");
    const metrics = await (await fetch(`${core.url}/metrics`, admin)).text();
    expect(metrics).toContain('tally_lines_total{outcome="done"} 2');
    expect(metrics).toContain('tally_lines_total{outcome="failed"} 1');
    expect(await core.stop()).toBe(0);
  });

  test("runs in a separate `core worker --role tally` over the internal API", async () => {
    const core = await createTestCore({}, { stages: [...pipelineStages, tallyStage] });
    cleanups.push(() => core.dispose());
    const server = startHttpServer({ fetch: core.app.fetch, hostname: "127.0.0.1", port: 0 });
    cleanups.push(() => server.forceStop());
    const worker = await startWorkerProcess({ coreUrl: server.url, token: testInternalToken, roles: tallyQueueName, entry: entryWithTally });
    cleanups.push(() => worker.stop());

    const queue = tallyStage.createQueue(core.database.db, core.clock);
    const lines = { hello: randomUUID(), refused: randomUUID() };
    await queue.enqueue(tallyQueueName, { line_id: lines.hello, text: "hello worker" });
    await queue.enqueue(tallyQueueName, { line_id: lines.refused, text: "fail remotely" });

    const dataDir = core.config.dataDir;
    await waitFor("the worker's lines to be tallied", async () => readTally(dataDir, lines.hello) !== null && readTally(dataDir, lines.refused) !== null);
    const tallied = readTally(dataDir, lines.hello)!;
    expect(tallied.characters).toBe(12);
    expect(String(tallied.worker)).toEndWith(`/${worker.pid}`);
    expect(readTally(dataDir, lines.refused)).toEqual({ failed: 'refusing to tally "fail remotely"' });
    expect(await worker.stop()).toBe(0);
  });

  test("the standard list does not know it: the internal API and `core worker` refuse the queue", async () => {
    const core = await createTestCore();
    cleanups.push(() => core.dispose());
    const claim = await core.internal("/api/v1/internal/jobs/claim", { method: "POST", body: JSON.stringify({ queues: [tallyQueueName] }) });
    expect(claim.status).toBe(400);
    expect(((await claim.json()) as { error: { code: string } }).error.code).toBe("internal.unknown_queue");

    const dir = makeTempDir();
    cleanups.push(() => dir.remove());
    const refused = await runCommand(process.execPath, [join(import.meta.dir, "../main.ts"), "worker", "--role", tallyQueueName, "--core-url", "http://127.0.0.1:9", "--token", testInternalToken], {
      cwd: dir.path,
      env: { PATH: process.env.PATH!, DATA_DIR: dir.path },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--role tally: expected one of vad, asr, analysis, tts");
  });
});
