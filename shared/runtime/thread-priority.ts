import { readdirSync, readFileSync, readlinkSync } from "node:fs";
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

/**
 * Keeps a helper process off the first of the CPUs this process may run on. A nice value alone does
 * not do it: a thread woken by a request on a CPU where the helper runs may wait for the scheduler's
 * next tick (up to 4 ms at 250 Hz) before it gets that CPU, while a CPU the helper never uses is
 * usually free at once. Called right after the helper starts (threads it starts later inherit the
 * set); with a single CPU nothing is changed. Best effort: false where it was not done (one CPU,
 * off Linux, under Deno).
 */
export function keepChildOffFirstCpu(pid: number): boolean {
  const allowed = allowedCpus(process.pid);
  if (!allowed || allowed.length < 2) return false;
  return setThreadCpus(pid, allowed.slice(1));
}

/**
 * In a helper process: every thread takes the CPUs its main thread runs on (a thread the runtime
 * started before the process that started this one restricted the main thread keeps the full set).
 * Best effort, as above.
 */
export function keepThreadsOnMainThreadCpus(): boolean {
  const cpus = allowedCpus(process.pid);
  if (!cpus || !affinitySetter()) return false;
  try {
    const done = new Set<string>([String(process.pid)]);
    // Until no thread is new: one started meanwhile by a thread not yet moved would keep the full set.
    for (let pass = 0; pass < 10; pass++) {
      const tasks = readdirSync("/proc/self/task").filter((task) => !done.has(task));
      if (tasks.length === 0) break;
      for (const task of tasks) {
        setThreadCpus(Number(task), cpus);
        done.add(task);
      }
    }
    return true;
  } catch {
    return false;
  }
}

/** The CPUs a thread may run on (Cpus_allowed_list in its /proc status), null where that cannot be read. */
export function allowedCpus(pid: number, threadId = pid): number[] | null {
  try {
    const status = readFileSync(`/proc/${pid}/task/${threadId}/status`, "utf8");
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
    if (!list) return null;
    const cpus: number[] = [];
    for (const range of list.split(",")) {
      const [first, last = first] = range.split("-").map(Number);
      for (let cpu = first!; cpu <= last!; cpu++) cpus.push(cpu);
    }
    return cpus;
  } catch {
    return null;
  }
}

type SetAffinity = (threadId: number, bytes: number, mask: Uint8Array) => number;
let setAffinity: SetAffinity | null | undefined;

/** sched_setaffinity(2) from the C library, through Bun's FFI; null where there is none. */
function affinitySetter(): SetAffinity | null {
  if (setAffinity !== undefined) return setAffinity;
  setAffinity = null;
  if (runtimeKind !== "bun" || process.platform !== "linux") return null;
  try {
    const { dlopen, FFIType, ptr } = import.meta.require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", { sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 } });
    setAffinity = (threadId, bytes, mask) => libc.symbols.sched_setaffinity(threadId, bytes, ptr(mask));
  } catch {
    // No glibc (a musl system): the helper shares every CPU.
  }
  return setAffinity;
}

function setThreadCpus(threadId: number, cpus: readonly number[]): boolean {
  const set = affinitySetter();
  if (!set) return false;
  // A cpu_set_t of 1,024 CPUs, as glibc declares it.
  const mask = new Uint8Array(128);
  for (const cpu of cpus) if (cpu < 1024) mask[cpu >> 3]! |= 1 << (cpu & 7);
  return set(threadId, mask.byteLength, mask) === 0;
}
