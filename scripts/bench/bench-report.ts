/**
 * Small helpers shared by the benchmark scripts: statistics, an aligned table, and what /proc
 * tells about a process's CPU time and memory.
 */
import { readFileSync } from "node:fs";

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

export function printTable(header: string[], rows: Array<Array<string | number>>): void {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === "number" ? formatNumber(cell) : cell)));
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  console.log(line(header));
  for (const row of cells) console.log(line(row));
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}

const clockTicksPerSecond = 100;

/** CPU seconds of a process itself, and of the children it has reaped (/proc/<pid>/stat). */
export function processCpuSeconds(pid: number): { own: number; reapedChildren: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // Fields counted from the state (field 3 of proc(5)): utime 14, stime 15, cutime 16, cstime 17.
  const at = (field: number) => Number(fields[field - 3]);
  return { own: (at(14) + at(15)) / clockTicksPerSecond, reapedChildren: (at(16) + at(17)) / clockTicksPerSecond };
}

/**
 * CPU seconds of one thread of a process (/proc/<pid>/task/<tid>/stat); by default its main thread,
 * which runs a node's JavaScript and so bounds what one node serves, whatever its helper threads spend.
 */
export function threadCpuSeconds(pid: number, tid = pid): number {
  const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / clockTicksPerSecond;
}

/** Resident memory in MB (/proc/<pid>/status): all of it, the process's own (anonymous) pages, and clean pages mapped from files. */
export function residentMegabytes(pid: number): { total: number; anonymous: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
  return { total: field("VmRSS"), anonymous: field("RssAnon"), file: field("RssFile") };
}
