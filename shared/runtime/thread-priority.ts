import { readdirSync, readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { runtimeKind } from "./runtime-kind.ts";

/**
 * Lowers a worker thread's scheduling priority (its Linux nice value), so that on a busy machine
 * its CPU goes to the serving thread first. Best effort, and false where it was not done: off Linux,
 * on the main thread, and under Deno (which would want a permission for it).
 */
export function lowerWorkerThreadPriority(nice: number): boolean {
  if (runtimeKind !== "bun") return false;
  try {
    const threadId = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(threadId) || threadId <= 0 || threadId === process.pid) return false;
    lowerThread(threadId, nice);
    return true;
  } catch {
    return false;
  }
}

/**
 * Lowers the priority of every thread of this process (on Linux a nice value belongs to a thread,
 * and the runtime's compiler and collector threads are already running); threads started later
 * inherit it. Best effort, for a helper process that works beside a server: false where it was not
 * done (off Linux, under Deno).
 */
export function lowerProcessPriority(nice: number): boolean {
  if (runtimeKind !== "bun") return false;
  try {
    for (const task of readdirSync("/proc/self/task")) lowerThread(Number(task), nice);
    return true;
  } catch {
    return false;
  }
}

/**
 * Lowers a child process's priority from the process that started it, before the runtime in the child
 * starts its own threads (they inherit it). Best effort, as above.
 */
export function lowerChildPriority(pid: number, nice: number): boolean {
  if (runtimeKind !== "bun") return false;
  try {
    lowerThread(pid, nice);
    return true;
  } catch {
    return false;
  }
}

function lowerThread(threadId: number, nice: number): void {
  // setpriority(2) given a thread id changes that thread only; a thread already lower stays so.
  if (getPriority(threadId) < nice) setPriority(threadId, nice);
}
