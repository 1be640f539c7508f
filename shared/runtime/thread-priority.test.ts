import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { threadNice } from "../testing/linux-processes.ts";
import { makeTempDir } from "../testing/temp-dir.ts";
import { lowerWorkerThreadPriority } from "./thread-priority.ts";

const dir = makeTempDir();
afterAll(() => dir.remove());

const niceOf = (threadId: number): number => threadNice(process.pid, threadId);

test("a worker thread lowers its own priority and leaves the serving thread's alone", async () => {
  const module = join(dir.path, "lowering.worker.ts");
  writeFileSync(
    module,
    `import { readlinkSync } from "node:fs";
import { lowerWorkerThreadPriority } from ${JSON.stringify(join(import.meta.dir, "thread-priority.ts"))};
const lowered = lowerWorkerThreadPriority(10);
postMessage({ lowered, threadId: Number(readlinkSync("/proc/thread-self").split("/").pop()) });`,
  );
  const before = niceOf(process.pid);
  const worker = new Worker(module, { type: "module" });
  const answer = await new Promise<{ lowered: boolean; threadId: number }>((resolve, reject) => {
    worker.onmessage = (event) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
  });
  try {
    expect(answer.lowered).toBe(true);
    expect(answer.threadId).not.toBe(process.pid);
    expect(niceOf(answer.threadId)).toBe(Math.max(before, 10));
    expect(niceOf(process.pid)).toBe(before);
  } finally {
    worker.terminate();
  }
});

test("on the main thread it changes nothing", () => {
  const before = niceOf(process.pid);
  expect(lowerWorkerThreadPriority(10)).toBe(false);
  expect(niceOf(process.pid)).toBe(before);
});

test("a helper process lowers every one of its threads, and the process that started it keeps its own", async () => {
  const script = join(dir.path, "lowering-process.ts");
  writeFileSync(
    script,
    `import { lowerProcessPriority } from ${JSON.stringify(join(import.meta.dir, "thread-priority.ts"))};
import { threadNices } from ${JSON.stringify(join(import.meta.dir, "../testing/linux-processes.ts"))};
const lowered = lowerProcessPriority(10);
console.log(JSON.stringify({ lowered, nices: threadNices(process.pid) }));`,
  );
  const before = niceOf(process.pid);
  const child = Bun.spawnSync([process.execPath, script], { stderr: "inherit" });
  const answer = JSON.parse(child.stdout.toString()) as { lowered: boolean; nices: number[] };
  expect(answer.lowered).toBe(true);
  // The runtime starts threads of its own (compiler, collector, pools) before any code runs.
  expect(answer.nices.length).toBeGreaterThan(1);
  expect(new Set(answer.nices)).toEqual(new Set([Math.max(before, 10)]));
  expect(niceOf(process.pid)).toBe(before);
});
