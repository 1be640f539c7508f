import type { ParsedLead } from "../../shared/campaign-package/lead-rows.ts";
import { type NodeDatabase, openDatabase } from "../../shared/db/open-database.ts";
import type { LogFields, Logger, LogLevel } from "../../shared/log/logger.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import * as schema from "../db/schema.ts";
import { type StagingDeps, stagePackageFile } from "./campaign-import.usecases.ts";
import { type ImportProgress, ImportRun } from "./import-lock.ts";
import { PackageRejectedError } from "./import-problem.ts";
import { createImportRepository } from "./import.repository.ts";
import type { StagingCommand, StagingEvent, StagingJob, StagingOutcome } from "./package-staging-thread.ts";
import { ImportAbortedError } from "./package-validation.ts";

/** The staging thread's entrypoint (see package-staging-thread.ts): one package per thread. */

const port = globalThis as unknown as { postMessage(message: StagingEvent): void; onmessage: ((event: MessageEvent<StagingCommand>) => void) | null };
const stopping = new AbortController();
/** Progress is relayed at most this often (and at every phase change); the database gets it from this thread. */
const progressRelayMs = 100;

port.onmessage = (event) => {
  if (event.data.type === "abort") stopping.abort();
  else void stage(event.data.job);
};

function relayLog(level: LogLevel): (msg: string, fields?: LogFields) => void {
  return (msg, fields) => port.postMessage({ type: "log", level, msg, fields });
}

const logger: Logger = { debug: relayLog("debug"), info: relayLog("info"), warn: relayLog("warn"), error: relayLog("error"), child: () => logger };

function progressRelay(): (progress: ImportProgress) => void {
  let relayedAt = 0;
  let phase = "";
  return (progress) => {
    const now = performance.now();
    if (progress.phase === phase && now - relayedAt < progressRelayMs) return;
    relayedAt = now;
    phase = progress.phase;
    port.postMessage({ type: "progress", progress: { ...progress } });
  };
}

async function stage(job: StagingJob): Promise<void> {
  let database: NodeDatabase<typeof schema> | null = null;
  let run: ImportRun | null = null;
  let outcome: StagingOutcome;
  try {
    database = openDatabase(job.database, schema);
    const deps: StagingDeps = { imports: createImportRepository(database.db), clock: systemClock, logger, audioStoragePath: job.audioStoragePath, limits: job.limits, leaseOwner: job.leaseOwner };
    const { id, source, fileName, operator, startedAt, report, progress } = job.run;
    run = new ImportRun(deps, id, source, fileName, operator, startedAt, progressRelay(), { report, progress });
    const onLeadsStaged = job.sendLeads ? (leads: readonly ParsedLead[]) => port.postMessage({ type: "leads", leads: leads as ParsedLead[] }) : undefined;
    await stagePackageFile(deps, run, { packagePath: job.packagePath, importDirectory: job.importDirectory, signal: stopping.signal, onLeadsStaged });
    outcome = { kind: "staged" };
  } catch (error) {
    if (error instanceof PackageRejectedError) outcome = { kind: "rejected", problem: error.problem };
    else if (error instanceof ImportAbortedError) outcome = { kind: "aborted", message: error.message };
    else outcome = { kind: "failed", message: (error as Error).message, stack: (error as Error).stack };
  } finally {
    run?.stop();
    database?.close();
  }
  port.postMessage({ type: "finished", report: run?.report.report ?? job.run.report, progress: run?.progress ?? job.run.progress, outcome });
}
