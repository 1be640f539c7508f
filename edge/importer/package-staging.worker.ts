import { type NodeDatabase, openDatabase } from "../../shared/db/open-database.ts";
import type { LogFields, Logger, LogLevel } from "../../shared/log/logger.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { lowerWorkerThreadPriority } from "../../shared/runtime/thread-priority.ts";
import { ServedCampaignsHolder } from "../campaigns/campaign-snapshot.ts";
import { transferList } from "../campaigns/lead-table.ts";
import { CampaignDeployment } from "../campaigns/campaigns.usecases.ts";
import * as schema from "../db/schema.ts";
import { type StagingDeps, stagePackageFile } from "./campaign-import.usecases.ts";
import { type ImportProgress, ImportRun } from "./import-lock.ts";
import { PackageRejectedError } from "./import-problem.ts";
import { createImportRepository } from "./import.repository.ts";
import type { StagingCommand, StagingEvent, StagingJob, StagingOutcome } from "./package-staging-thread.ts";
import { ImportAbortedError } from "./package-validation.ts";

/** The staging thread's entrypoint (see package-staging-thread.ts): one package, then its clean-up. */

const port = globalThis as unknown as { postMessage(message: StagingEvent, transfer?: ArrayBuffer[]): void; onmessage: ((event: MessageEvent<StagingCommand>) => void) | null };
const stopping = new AbortController();
/** Progress is relayed at most this often (and at every phase change); this thread writes it to the database. */
const progressRelayMs = 100;
let database: NodeDatabase<typeof schema> | null = null;
let audioStoragePath = "";

// The import may take longer; the dialer's answers may not. Not lower still: this thread holds the
// database's write lock while it stages, and the serving thread's own writes wait for it.
lowerWorkerThreadPriority(10);

port.onmessage = (event) => {
  const command = event.data;
  if (command.type === "abort") stopping.abort();
  else if (command.type === "stage") void stage(command.job);
  else if (command.type === "purge") void purge();
  else {
    database?.close();
    database = null;
    port.postMessage({ type: "closed" });
  }
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
  let run: ImportRun | null = null;
  let outcome: StagingOutcome;
  try {
    audioStoragePath = job.audioStoragePath;
    database = openDatabase(job.database, schema);
    const deps: StagingDeps = { imports: createImportRepository(database.db), clock: systemClock, logger, audioStoragePath, limits: job.limits, leaseOwner: job.leaseOwner };
    const { id, source, fileName, operator, startedAt, report, progress } = job.run;
    run = new ImportRun(deps, id, source, fileName, operator, startedAt, progressRelay(), { report, progress });
    const leads = await stagePackageFile(deps, run, { packagePath: job.packagePath, importDirectory: job.importDirectory, signal: stopping.signal, buildLeadTable: job.buildLeadTable });
    outcome = { kind: "staged", leads };
  } catch (error) {
    if (error instanceof PackageRejectedError) outcome = { kind: "rejected", problem: error.problem };
    else if (error instanceof ImportAbortedError) outcome = { kind: "aborted", message: error.message };
    else outcome = { kind: "failed", message: (error as Error).message, stack: (error as Error).stack };
  } finally {
    // The serving thread holds the lock from here on: its own lease keeper renews it.
    run?.stop();
  }
  // The lead table's buffers move to the serving thread without a copy.
  const transfer = outcome.kind === "staged" && outcome.leads ? transferList(outcome.leads) : [];
  port.postMessage({ type: "staged", report: run?.report.report ?? job.run.report, progress: run?.progress ?? job.run.progress, outcome }, transfer);
}

async function purge(): Promise<void> {
  try {
    if (!database) throw new Error("the staging thread has no database connection");
    const deployment = new CampaignDeployment({ db: database.db, clock: systemClock, logger, audioStoragePath, served: new ServedCampaignsHolder(), serving: false });
    await deployment.purgeUnservedImports();
    port.postMessage({ type: "purged", error: null });
  } catch (error) {
    port.postMessage({ type: "purged", error: (error as Error).message });
  }
}
