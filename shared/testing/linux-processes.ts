import { readdirSync, readFileSync } from "node:fs";
import { allowedCpus } from "../runtime/thread-priority.ts";

/**
 * What tests read of running processes and threads in Linux's /proc: which processes run a given
 * command, and the nice value and CPUs of each thread.
 */

/** The fields of a /proc `stat` file from the state on (field 3): the command name before them may hold spaces. */
function statFields(path: string): string[] {
  const stat = readFileSync(path, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Processes whose command line has an argument `matches` accepts; with `parent`, only its children. */
export function processesRunning(matches: (argument: string) => boolean, parent?: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        if (parent !== undefined && Number(statFields(`/proc/${pid}/stat`)[1]) !== parent) return false;
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").some(matches);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/** A thread's nice value as the kernel reports it (field 19 of its stat file). */
export function threadNice(pid: number, threadId: number): number {
  return Number(statFields(`/proc/${pid}/task/${threadId}/stat`)[16]);
}

/** The nice value of every thread of a process. */
export function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((task) => threadNice(pid, Number(task)));
}

/** The CPUs each thread of a process may run on. */
export function threadCpus(pid: number): number[][] {
  return readdirSync(`/proc/${pid}/task`).map((task) => allowedCpus(pid, Number(task)) ?? []);
}
