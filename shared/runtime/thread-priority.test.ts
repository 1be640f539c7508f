import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "../testing/temp-dir.ts";
import { lowerWorkerThreadPriority } from "./thread-priority.ts";

const dir = makeTempDir();
afterAll(() => dir.remove());

/** A thread's nice value as the kernel reports it (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceOf(threadId: number): number {
  const stat = readFileSync(`/proc/self/task/${threadId}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

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
    `import { readdirSync, readFileSync } from "node:fs";
import { lowerProcessPriority } from ${JSON.stringify(join(import.meta.dir, "thread-priority.ts"))};
const lowered = lowerProcessPriority(10);
const nices = readdirSync("/proc/self/task").map((task) => {
  const stat = readFileSync(\`/proc/self/task/\${task}/stat\`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
});
console.log(JSON.stringify({ lowered, nices }));`,
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
