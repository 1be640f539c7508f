import type { ParsedLead } from "../../shared/campaign-package/lead-rows.ts";
import type { OpenDatabaseOptions } from "../../shared/db/open-database.ts";
import type { LogFields, LogLevel } from "../../shared/log/logger.ts";
import { workerModuleUrl } from "../../shared/runtime/worker-module.ts";
import type { ImporterDeps, ImportLimits, StagingRequest } from "./campaign-import.usecases.ts";
import type { ImportProgress, ImportRun } from "./import-lock.ts";
import { type ImportProblem, PackageRejectedError } from "./import-problem.ts";
import type { ImportReport } from "./import-report.ts";
import { ImportAbortedError } from "./package-validation.ts";

/**
 * Reading, checking and staging a package run on a thread of their own with their own database
 * connection (package-staging.worker.ts): on the serving thread they held the dialer's lookups up for
 * tens of milliseconds at a time. This side relays progress, staged leads and logs, and turns the
 * thread's outcome back into the errors the import handles.
 */

export interface StagingJob {
  database: OpenDatabaseOptions;
  leaseOwner: string;
  audioStoragePath: string;
  limits: ImportLimits;
  run: { id: number; source: ImportRun["source"]; fileName: string; operator: string | null; startedAt: number; report: ImportReport; progress: ImportProgress };
  packagePath: string;
  importDirectory: string;
  /** Whether the staged leads are sent back (a serving edge indexes them for its snapshot). */
  sendLeads: boolean;
}

export type StagingCommand = { type: "start"; job: StagingJob } | { type: "abort" };

export type StagingOutcome = { kind: "staged" } | { kind: "rejected"; problem: ImportProblem } | { kind: "aborted"; message: string } | { kind: "failed"; message: string; stack?: string };

export type StagingEvent =
  | { type: "progress"; progress: ImportProgress }
  | { type: "leads"; leads: ParsedLead[] }
  | { type: "log"; level: LogLevel; msg: string; fields?: LogFields }
  | { type: "finished"; report: ImportReport; progress: ImportProgress; outcome: StagingOutcome };

type Finished = Extract<StagingEvent, { type: "finished" }>;

export async function stageOnStagingThread(deps: ImporterDeps, database: OpenDatabaseOptions, run: ImportRun, request: StagingRequest): Promise<void> {
  const worker = new Worker(workerModuleUrl(new URL("./package-staging.worker.ts", import.meta.url), "importer/package-staging.worker.ts"), { type: "module" });
  const send = (command: StagingCommand) => worker.postMessage(command);
  const abort = () => send({ type: "abort" });
  try {
    const finished = await new Promise<Finished>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<StagingEvent>) => {
        const message = event.data;
        if (message.type === "progress") run.mirror(message.progress);
        else if (message.type === "leads") request.onLeadsStaged?.(message.leads);
        else if (message.type === "log") deps.logger[message.level](message.msg, message.fields);
        else resolve(message);
      };
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        reject(new Error(`the staging thread stopped: ${event.message}`));
      };
      send({
        type: "start",
        job: {
          database,
          leaseOwner: deps.leaseOwner,
          audioStoragePath: deps.audioStoragePath,
          limits: deps.limits,
          run: { id: run.id, source: run.source, fileName: run.fileName, operator: run.operator, startedAt: run.startedAt, report: run.report.report, progress: { ...run.progress } },
          packagePath: request.packagePath,
          importDirectory: request.importDirectory,
          sendLeads: request.onLeadsStaged !== undefined,
        },
      });
      request.signal?.addEventListener("abort", abort, { once: true });
      if (request.signal?.aborted) abort();
    });
    Object.assign(run.report.report, finished.report);
    run.mirror(finished.progress);
    const outcome = finished.outcome;
    if (outcome.kind === "rejected") throw new PackageRejectedError(outcome.problem);
    if (outcome.kind === "aborted") throw new ImportAbortedError(outcome.message);
    if (outcome.kind === "failed") throw Object.assign(new Error(outcome.message), { stack: outcome.stack });
  } finally {
    request.signal?.removeEventListener("abort", abort);
    worker.terminate();
  }
}
