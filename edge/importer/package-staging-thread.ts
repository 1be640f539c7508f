import type { OpenDatabaseOptions } from "../../shared/db/open-database.ts";
import type { LogFields, LogLevel } from "../../shared/log/logger.ts";
import { workerModuleUrl } from "../../shared/runtime/worker-module.ts";
import { LeadTable, type LeadTableParts } from "../campaigns/lead-table.ts";
import type { ImporterDeps, ImportLimits, PackageStager, StagingRequest } from "./campaign-import.usecases.ts";
import type { ImportProgress, ImportRun } from "./import-lock.ts";
import { type ImportProblem, PackageRejectedError } from "./import-problem.ts";
import type { ImportReport } from "./import-report.ts";
import { ImportAbortedError } from "./package-validation.ts";

/**
 * Reading, checking and staging a package, and removing the rows of imports nothing serves, run on
 * a thread of their own with their own database connection (package-staging.worker.ts): on the
 * serving thread they held the dialer's lookups up for tens of milliseconds at a time. This side
 * relays progress and logs, takes over the lead table the thread built (transferred, not copied),
 * and turns the thread's outcome back into the errors the import handles.
 */

export interface StagingJob {
  database: OpenDatabaseOptions;
  leaseOwner: string;
  audioStoragePath: string;
  limits: ImportLimits;
  run: { id: number; source: ImportRun["source"]; fileName: string; operator: string | null; startedAt: number; report: ImportReport; progress: ImportProgress };
  packagePath: string;
  importDirectory: string;
  /** Whether the thread builds the staged leads into a lead table and hands it over (a serving edge switches to it). */
  buildLeadTable: boolean;
}

export type StagingCommand = { type: "stage"; job: StagingJob } | { type: "abort" } | { type: "purge" } | { type: "close" };

export type StagingOutcome = { kind: "staged"; leads: LeadTableParts | null } | { kind: "rejected"; problem: ImportProblem } | { kind: "aborted"; message: string } | { kind: "failed"; message: string; stack?: string };

export type StagingEvent =
  | { type: "progress"; progress: ImportProgress }
  | { type: "log"; level: LogLevel; msg: string; fields?: LogFields }
  | { type: "staged"; report: ImportReport; progress: ImportProgress; outcome: StagingOutcome }
  | { type: "purged"; error: string | null }
  | { type: "closed" };

type Reply = Extract<StagingEvent, { type: "staged" | "purged" | "closed" }>;

export class StagingThread implements PackageStager {
  readonly #worker: Worker;
  #run: ImportRun | null = null;
  #waiting: { type: Reply["type"]; resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  #broken: Error | null = null;

  constructor(
    private readonly deps: ImporterDeps,
    private readonly database: OpenDatabaseOptions,
  ) {
    this.#worker = new Worker(workerModuleUrl(new URL("./package-staging.worker.ts", import.meta.url), "importer/package-staging.worker.ts"), { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<StagingEvent>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#broken = new Error(`the staging thread stopped: ${event.message}`);
      this.#waiting?.reject(this.#broken);
      this.#waiting = null;
    };
  }

  async stage(run: ImportRun, request: StagingRequest): Promise<LeadTable | null> {
    this.#run = run;
    const abort = () => this.#worker.postMessage({ type: "abort" } satisfies StagingCommand);
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
      return outcome.leads ? new LeadTable(outcome.leads) : null;
    } finally {
      request.signal?.removeEventListener("abort", abort);
    }
  }

  async purgeUnservedImports(): Promise<void> {
    // A thread that stopped leaves the work to this one: staged rows must not outlive a refused import.
    if (this.#broken) return void (await this.deps.deployment.purgeUnservedImports());
    const { error } = (await this.#ask({ type: "purge" }, "purged")) as Extract<Reply, { type: "purged" }>;
    if (error) {
      this.deps.logger.warn("the staging thread could not remove unserved imports; removing them here", { error });
      await this.deps.deployment.purgeUnservedImports();
    }
  }

  /** Closes the thread's database connection, then the thread. */
  async close(): Promise<void> {
    try {
      if (!this.#broken) await this.#ask({ type: "close" }, "closed");
    } finally {
      this.#worker.terminate();
    }
  }

  #ask(command: StagingCommand, reply: Reply["type"]): Promise<Reply> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise<Reply>((resolve, reject) => {
      this.#waiting = { type: reply, resolve, reject };
      this.#worker.postMessage(command);
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
