import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { writeAllSync } from "../../shared/runtime/files.ts";
import { textLines } from "../../shared/runtime/text-lines.ts";
import { keepThreadsOnMainThreadCpus, lowerProcessPriority } from "../../shared/runtime/thread-priority.ts";
import { type LeadTableParts, leadTableFileChunks } from "../campaigns/lead-table.ts";
import { type StagingCommand, type StagingEvent, stagingNice } from "./package-staging-helper.ts";
import { serveStagingCommands } from "./package-staging.ts";

/**
 * The staging side as a child process of the serving edge: commands arrive as JSON lines on stdin,
 * events leave as JSON lines on stdout, and the lead table it builds is handed over as a file in the
 * import's directory. A process of its own shares nothing with the serving thread: not its heap, its
 * collector, its allocator or its address space; every one of its threads runs at a lower
 * priority, so on a busy machine the dialer's lookups get the CPU first, and off the first CPU, so
 * that one is free for them the moment they arrive.
 */

/** Where this staging process leaves a lead table it built for the serving edge to read (and remove). */
function leadTableFilePath(directory: string): string {
  return join(directory, `.lead-table-${process.pid}`);
}

/** Serves staging commands until stdin ends; resolves with the exit code. */
export async function runStagingProcess(): Promise<number> {
  // The serving edge lowered this process's first thread and kept it off the first CPU as it
  // started it; any thread begun before that is lowered and moved here.
  lowerProcessPriority(stagingNice);
  keepThreadsOnMainThreadCpus();
  // Ctrl-C at a terminal and systemd's stop reach every process of the group: the edge that started
  // this one handles them and says what to do (abort, close); this one ends when its stdin does.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => {});
  /** The import directory of the command in hand: one command at a time comes from the edge. */
  let directory = "";
  let handle: (command: StagingCommand) => void = () => {};
  let closed = false;
  const post = (event: StagingEvent): void => {
    if (event.type === "staged" && event.outcome.kind === "staged" && event.outcome.leads && !("file" in event.outcome.leads)) {
      event = { ...event, outcome: { kind: "staged", leads: writeLeadTableFile(leadTableFilePath(directory), event.outcome.leads) } };
    }
    if (event.type === "table" && event.leads && !("file" in event.leads)) event = { ...event, leads: writeLeadTableFile(leadTableFilePath(directory), event.leads) };
    if (event.type === "closed") closed = true;
    process.stdout.write(`${JSON.stringify(event, (_key, value) => (value instanceof Error ? { name: value.name, message: value.message } : value))}\n`);
  };
  serveStagingCommands({ post, onCommand: (handler) => (handle = handler) });
  for await (const line of textLines(process.stdin as AsyncIterable<Uint8Array>)) {
    const command = JSON.parse(line) as StagingCommand;
    if (command.type === "stage") directory = command.job.importDirectory;
    if (command.type === "table") directory = command.request.directory;
    handle(command);
  }
  // stdin ends when the serving edge is done with this process, or is gone: then whatever was staged
  // is left for the edge's clean-up of abandoned imports, and the import lock for its lease to expire.
  return closed ? 0 : 1;
}

function writeLeadTableFile(file: string, leads: LeadTableParts): { file: string } {
  mkdirSync(join(file, ".."), { recursive: true });
  const descriptor = openSync(file, "w", 0o600);
  try {
    for (const chunk of leadTableFileChunks(leads)) writeAllSync(descriptor, chunk);
  } finally {
    closeSync(descriptor);
  }
  return { file };
}

if (import.meta.main) process.exit(await runStagingProcess());
