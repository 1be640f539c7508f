import { type NodeDatabase, openDatabase } from "../../shared/db/open-database.ts";
import type { LogFields, Logger, LogLevel } from "../../shared/log/logger.ts";
import { systemClock } from "../../shared/runtime/clock.ts";
import { ServedCampaignsHolder } from "../campaigns/campaign-snapshot.ts";
import { createCampaignsRepository } from "../campaigns/campaigns.repository.ts";
import { CampaignDeployment, readLeadTableParts } from "../campaigns/campaigns.usecases.ts";
import * as schema from "../db/schema.ts";
import { type StagingDeps, stagePackageFile } from "./campaign-import.usecases.ts";
import { type ImportProgress, ImportRun } from "./import-lock.ts";
import { PackageRejectedError } from "./import-problem.ts";
import { createImportRepository } from "./import.repository.ts";
import type { LeadTableRequest, StagingCommand, StagingEvent, StagingJob, StagingOutcome } from "./package-staging-helper.ts";
import { ImportAbortedError } from "./package-validation.ts";

/**
 * The staging side of an import (see package-staging-helper.ts), whichever carries its messages:
 * a child process (package-staging.process.ts) or a worker thread (package-staging.worker.ts).
 * One package, then its clean-up, or one deployed import's lead table, on a database connection of its own.
 */

export interface StagingPort {
  post(event: StagingEvent): void;
  onCommand(handler: (command: StagingCommand) => void): void;
}

/** Progress is relayed at most this often (and at every phase change); this side writes it to the database. */
const progressRelayMs = 100;

export function serveStagingCommands(port: StagingPort): void {
  const stopping = new AbortController();
  let database: NodeDatabase<typeof schema> | null = null;
  let audioStoragePath = "";

  const relayLog =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void =>
      port.post({ type: "log", level, msg, fields });
  const logger: Logger = { debug: relayLog("debug"), info: relayLog("info"), warn: relayLog("warn"), error: relayLog("error"), child: () => logger };

  function progressRelay(): (progress: ImportProgress) => void {
    let relayedAt = 0;
    let phase = "";
    return (progress) => {
      const now = performance.now();
      if (progress.phase === phase && now - relayedAt < progressRelayMs) return;
      relayedAt = now;
      phase = progress.phase;
      port.post({ type: "progress", progress: { ...progress } });
    };
  }

  async function stage(job: StagingJob): Promise<void> {
    let run: ImportRun | null = null;
    let outcome: StagingOutcome;
    try {
      audioStoragePath = job.audioStoragePath;
      database = openDatabase(job.database, schema);
      const deps: StagingDeps = { imports: createImportRepository(database.db), clock: systemClock, logger, audioStoragePath: job.audioStoragePath, limits: job.limits, leaseOwner: job.leaseOwner };
      const { id, source, fileName, operator, startedAt, report, progress } = job.run;
      run = new ImportRun(deps, id, source, fileName, operator, startedAt, progressRelay(), { report, progress });
      const leads = await stagePackageFile(deps, run, { packagePath: job.packagePath, importDirectory: job.importDirectory, signal: stopping.signal, buildLeadTable: job.buildLeadTable });
      outcome = { kind: "staged", leads };
    } catch (error) {
      if (error instanceof PackageRejectedError) outcome = { kind: "rejected", problem: error.problem };
      else if (error instanceof ImportAbortedError) outcome = { kind: "aborted", message: error.message };
      else outcome = { kind: "failed", message: (error as Error).message, stack: (error as Error).stack };
    } finally {
      // The serving side holds the lock from here on: its own lease keeper renews it.
      run?.stop();
    }
    port.post({ type: "staged", report: run?.report.report ?? job.run.report, progress: run?.progress ?? job.run.progress, outcome });
  }

  async function readTable(request: LeadTableRequest): Promise<void> {
    try {
      database ??= openDatabase(request.database, schema);
      const leads = await readLeadTableParts({ campaigns: createCampaignsRepository(database.db) }, request.importId, request.expectedCount);
      port.post({ type: "table", leads, error: null });
    } catch (error) {
      port.post({ type: "table", leads: null, error: (error as Error).message });
    }
  }

  async function purge(): Promise<void> {
    try {
      if (!database) throw new Error("the staging side has no database connection");
      const deployment = new CampaignDeployment({ db: database.db, clock: systemClock, logger, audioStoragePath, served: new ServedCampaignsHolder(), serving: false });
      await deployment.purgeUnservedImports();
      port.post({ type: "purged", error: null });
    } catch (error) {
      port.post({ type: "purged", error: (error as Error).message });
    }
  }

  port.onCommand((command) => {
    if (command.type === "abort") stopping.abort();
    else if (command.type === "stage") void stage(command.job);
    else if (command.type === "table") void readTable(command.request);
    else if (command.type === "purge") void purge();
    else {
      database?.close();
      database = null;
      port.post({ type: "closed" });
    }
  });
}
