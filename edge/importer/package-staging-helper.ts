import { rm } from "node:fs/promises";
import type { OpenDatabaseOptions } from "../../shared/db/open-database.ts";
import type { LogFields, Logger, LogLevel } from "../../shared/log/logger.ts";
import { helperProcessCommand } from "../../shared/runtime/helper-process.ts";
import { mapFile } from "../../shared/runtime/files.ts";
import { spawnProcess } from "../../shared/runtime/process.ts";
import { textLines } from "../../shared/runtime/text-lines.ts";
import { keepChildOffFirstCpu, lowerChildPriority } from "../../shared/runtime/thread-priority.ts";
import { importAudioDirectory } from "../campaigns/campaigns.usecases.ts";
import { LeadTable, type LeadTableParts, leadTableFromFile } from "../campaigns/lead-table.ts";
import type { ImporterDeps, ImportLimits, PackageStager, StagingRequest } from "./campaign-import.usecases.ts";
import type { ImportProgress, ImportRun } from "./import-lock.ts";
import { type ImportProblem, PackageRejectedError } from "./import-problem.ts";
import type { ImportReport } from "./import-report.ts";
import { ImportAbortedError } from "./package-validation.ts";

/**
 * Reading, checking and staging a package, and removing the rows of imports nothing serves, run
 * beside the serving edge with a database connection of their own: in a child process at a lower
 * priority (package-staging.process.ts), or, where no child process can be started (under Deno), on a
 * worker thread (package-staging.worker.ts). On the serving thread they held the dialer's lookups up
 * for tens of milliseconds at a time; on a thread of the same process the lookups' p99 during a
 * 300,000-lead import was still 3.9× their p99 without (bench edge-campaign), against about 2× from
 * a process of its own at a lower priority, and 1.7× once that process is also kept off one CPU
 * (a serving thread woken on a CPU where the import runs could wait for the scheduler's next tick).
 * This side relays progress and logs,
 * takes over the lead table the staging side built, and turns its outcome back into the errors the
 * import handles.
 */

/**
 * The staging side's nice value. Not lower still, nor SCHED_IDLE: it holds the database's write lock
 * while it stages, and the serving edge's own writes wait for it (under SCHED_IDLE the scheduler also
 * counts its CPU as free and wakes the serving thread there: lookups during the switch waited 20 ms).
 */
export const stagingNice = 10;

/** The hidden command of the compiled binary that runs the staging process (edge/main.ts). */
export const stagingProcessCommand = "__stage-package";

export interface StagingJob {
  database: OpenDatabaseOptions;
  leaseOwner: string;
  audioStoragePath: string;
  limits: ImportLimits;
  run: { id: number; source: ImportRun["source"]; fileName: string; operator: string | null; startedAt: number; report: ImportReport; progress: ImportProgress };
  packagePath: string;
  importDirectory: string;
  /** Whether the staging side builds the staged leads into a lead table and hands it over (a serving edge switches to it). */
  buildLeadTable: boolean;
}

/** A deployed import's leads, read from the database into a lead table (a reload of the served campaign). */
export interface LeadTableRequest {
  database: OpenDatabaseOptions;
  importId: number;
  expectedCount: number;
  /** Where a staging process leaves the table's file: the import's own directory. */
  directory: string;
}

export type StagingCommand = { type: "stage"; job: StagingJob } | { type: "table"; request: LeadTableRequest } | { type: "abort" } | { type: "purge" } | { type: "close" };

/** A staged lead table: its buffers, transferred from a thread; or the file a staging process wrote it to. */
export type StagedLeads = LeadTableParts | { file: string };

export type StagingOutcome = { kind: "staged"; leads: StagedLeads | null } | { kind: "rejected"; problem: ImportProblem } | { kind: "aborted"; message: string } | { kind: "failed"; message: string; stack?: string };

export type StagingEvent =
  | { type: "progress"; progress: ImportProgress }
  | { type: "log"; level: LogLevel; msg: string; fields?: LogFields }
  | { type: "staged"; report: ImportReport; progress: ImportProgress; outcome: StagingOutcome }
  | { type: "table"; leads: StagedLeads | null; error: string | null }
  | { type: "purged"; error: string | null }
  | { type: "closed" };

type Reply = Extract<StagingEvent, { type: "staged" | "table" | "purged" | "closed" }>;

/** How commands reach the staging side and its events come back. */
export type StagingCarrier = "process" | "worker";

interface StagingChannel {
  send(command: StagingCommand): void;
  /** Stops the staging side (after its "closed" answer, or at once when it broke). */
  end(): void;
}

export class StagingHelper implements PackageStager {
  readonly #channel: StagingChannel;
  #run: ImportRun | null = null;
  #waiting: { type: Reply["type"]; resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  #broken: Error | null = null;

  constructor(
    private readonly deps: ImporterDeps,
    private readonly database: OpenDatabaseOptions,
    carrier?: StagingCarrier,
  ) {
    const receive = (event: StagingEvent) => this.#receive(event);
    const broke = (error: Error) => {
      this.#broken = error;
      this.#waiting?.reject(error);
      this.#waiting = null;
    };
    const command = carrier === "worker" ? null : helperProcessCommand(new URL("./package-staging.process.ts", import.meta.url), stagingProcessCommand);
    this.#channel = command ? processChannel(command, receive, broke, deps.logger) : workerChannel(receive, broke);
  }

  async stage(run: ImportRun, request: StagingRequest): Promise<LeadTable | null> {
    this.#run = run;
    const abort = () => this.#channel.send({ type: "abort" });
    request.signal?.addEventListener("abort", abort, { once: true });
    try {
      const job: StagingJob = {
        database: this.database,
        leaseOwner: this.deps.leaseOwner,
        audioStoragePath: this.deps.audioStoragePath,
        limits: this.deps.limits,
        run: { id: run.id, source: run.source, fileName: run.fileName, operator: run.operator, startedAt: run.startedAt, report: run.report.report, progress: { ...run.progress } },
        packagePath: request.packagePath,
        importDirectory: request.importDirectory,
        buildLeadTable: request.buildLeadTable,
      };
      const staged = this.#ask({ type: "stage", job }, "staged");
      if (request.signal?.aborted) abort();
      const { report, progress, outcome } = (await staged) as Extract<Reply, { type: "staged" }>;
      Object.assign(run.report.report, report);
      run.mirror(progress);
      if (outcome.kind === "rejected") throw new PackageRejectedError(outcome.problem);
      if (outcome.kind === "aborted") throw new ImportAbortedError(outcome.message);
      if (outcome.kind === "failed") throw Object.assign(new Error(outcome.message), { stack: outcome.stack });
      return outcome.leads ? await takeLeadTable(outcome.leads) : null;
    } finally {
      request.signal?.removeEventListener("abort", abort);
    }
  }

  /** A deployed import's leads as a lead table, read from the database by the staging side. */
  async readLeadTable(importId: number, expectedCount: number): Promise<LeadTable> {
    const request: LeadTableRequest = { database: this.database, importId, expectedCount, directory: importAudioDirectory(this.deps.audioStoragePath, importId) };
    const { leads, error } = (await this.#ask({ type: "table", request }, "table")) as Extract<Reply, { type: "table" }>;
    if (!leads) throw new Error(error ?? "the staging side sent no lead table");
    return takeLeadTable(leads);
  }

  async purgeUnservedImports(): Promise<void> {
    // A staging side that stopped leaves the work to this one: staged rows must not outlive a refused import.
    if (this.#broken) return void (await this.deps.deployment.purgeUnservedImports());
    const { error } = (await this.#ask({ type: "purge" }, "purged")) as Extract<Reply, { type: "purged" }>;
    if (error) {
      this.deps.logger.warn("the staging side could not remove unserved imports; removing them here", { error });
      await this.deps.deployment.purgeUnservedImports();
    }
  }

  /** Closes the staging side's database connection, then the staging side. */
  async close(): Promise<void> {
    try {
      if (!this.#broken) await this.#ask({ type: "close" }, "closed");
    } finally {
      this.#channel.end();
    }
  }

  #ask(command: StagingCommand, reply: Reply["type"]): Promise<Reply> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise<Reply>((resolve, reject) => {
      this.#waiting = { type: reply, resolve, reject };
      this.#channel.send(command);
    });
  }

  #receive(message: StagingEvent): void {
    if (message.type === "progress") this.#run?.mirror(message.progress);
    else if (message.type === "log") this.deps.logger[message.level](message.msg, message.fields);
    else if (this.#waiting?.type === message.type) {
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting.resolve(message);
    }
  }
}

/** The lead table as the staging side handed it over; a file a staging process left is read, then removed. */
async function takeLeadTable(leads: StagedLeads): Promise<LeadTable> {
  if (!("file" in leads)) return new LeadTable(leads);
  try {
    // Mapped, not read: the serving thread takes over a table of any size without a pause.
    return new LeadTable(leadTableFromFile(await mapFile(leads.file)));
  } finally {
    await rm(leads.file, { force: true });
  }
}

/**
 * For a serving edge's reloads (start, rollback, a switch made by `edge import`): the leads are read
 * into a lead table by a staging process for the one request; null when that failed (then the
 * caller reads them on its own thread).
 */
export async function readLeadTableAside(deps: ImporterDeps, importId: number, expectedCount: number): Promise<LeadTable | null> {
  if (!deps.stagingDatabase) return null;
  const helper = new StagingHelper(deps, deps.stagingDatabase, deps.stagingCarrier);
  try {
    return await helper.readLeadTable(importId, expectedCount);
  } catch (error) {
    deps.logger.warn("could not read the campaign's leads in a staging process; reading them on the serving thread", { importId, error });
    return null;
  } finally {
    await helper.close().catch(() => {});
  }
}

function processChannel(command: string[], receive: (event: StagingEvent) => void, broke: (error: Error) => void, logger: Logger): StagingChannel {
  const child = spawnProcess(command[0]!, command.slice(1), { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  lowerChildPriority(child.pid, stagingNice);
  keepChildOffFirstCpu(child.pid);
  let ending = false;
  void (async () => {
    for await (const line of textLines(child.stdout!)) {
      let event: StagingEvent;
      try {
        event = JSON.parse(line) as StagingEvent;
      } catch (error) {
        logger.warn("the staging process wrote a line that is not an event", { line: line.slice(0, 200), error });
        continue;
      }
      receive(event);
    }
    const code = await child.exited;
    if (!ending) broke(new Error(`the staging process stopped (exit code ${code})`));
  })();
  return {
    send: (message) => child.stdin!.write(`${JSON.stringify(message)}\n`),
    end: () => {
      ending = true;
      child.stdin!.end();
      // It exits once its stdin ends; one that does not is stopped.
      const stopping = setTimeout(() => child.kill("SIGKILL"), 5000);
      void child.exited.then(() => clearTimeout(stopping));
    },
  };
}

function workerChannel(receive: (event: StagingEvent) => void, broke: (error: Error) => void): StagingChannel {
  const worker = new Worker(new URL("./package-staging.worker.ts", import.meta.url).href, { type: "module" });
  worker.onmessage = (event: MessageEvent<StagingEvent>) => receive(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    broke(new Error(`the staging thread stopped: ${event.message}`));
  };
  return { send: (command) => worker.postMessage(command), end: () => worker.terminate() };
}
