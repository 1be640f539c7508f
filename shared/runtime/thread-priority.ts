import { readlinkSync } from "node:fs";
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
    // setpriority(2) given a thread id changes that thread only; a thread already lower stays so.
    if (getPriority(threadId) < nice) setPriority(threadId, nice);
    return true;
  } catch {
    return false;
  }
}
