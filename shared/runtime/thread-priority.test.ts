import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { spawnProcess } from "./process.ts";
import { textLines } from "./text-lines.ts";
import { threadCpus, threadNice } from "../testing/linux-processes.ts";
import { makeTempDir } from "../testing/temp-dir.ts";
import { allowedCpus, keepChildOffFirstCpu, lowerWorkerThreadPriority } from "./thread-priority.ts";

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

test("the CPUs a process may run on are read as the kernel lists them", () => {
  const cpus = allowedCpus(process.pid)!;
  expect(cpus.length).toBe(availableParallelism());
  expect(cpus).toEqual([...cpus].sort((a, b) => a - b));
  expect(allowedCpus(process.pid, 999_999_999)).toBeNull();
});

test("a helper process is kept off the first CPU, every one of its threads with it; the process that started it keeps them all", async () => {
  const script = join(dir.path, "pinned-process.ts");
  writeFileSync(
    script,
    `import { keepThreadsOnMainThreadCpus } from ${JSON.stringify(join(import.meta.dir, "thread-priority.ts"))};
import { threadCpus } from ${JSON.stringify(join(import.meta.dir, "../testing/linux-processes.ts"))};
import { textLines } from ${JSON.stringify(join(import.meta.dir, "text-lines.ts"))};
// The runtime's own threads and a worker's are running before the parent restricts this process's main thread.
const worker = new Worker(URL.createObjectURL(new Blob(["postMessage(1)"])));
await new Promise((resolve) => (worker.onmessage = resolve));
console.log("ready");
for await (const _line of textLines(process.stdin)) break;
const kept = keepThreadsOnMainThreadCpus();
console.log(JSON.stringify({ kept, cpus: threadCpus(process.pid) }));
worker.terminate();`,
  );
  const mine = threadCpus(process.pid);
  const all = allowedCpus(process.pid)!;
  const child = spawnProcess(process.execPath, [script], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  const lines = textLines(child.stdout!)[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe("ready");
  const restricted = keepChildOffFirstCpu(child.pid);
  child.stdin!.write("go\n");
  child.stdin!.end();
  const answer = JSON.parse((await lines.next()).value as string) as { kept: boolean; cpus: number[][] };
  expect(await child.exited).toBe(0);
  expect(answer.kept).toBe(true);
  expect(answer.cpus.length).toBeGreaterThan(2);
  if (all.length >= 2) {
    expect(restricted).toBe(true);
    for (const cpus of answer.cpus) expect(cpus).toEqual(all.slice(1));
  } else {
    // One CPU: there is none to keep free, and nothing is changed.
    expect(restricted).toBe(false);
    for (const cpus of answer.cpus) expect(cpus).toEqual(all);
  }
  expect(threadCpus(process.pid)).toEqual(mine);
});
