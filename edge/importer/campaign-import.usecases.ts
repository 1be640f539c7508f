import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import type { ParsedLead } from "../../shared/campaign-package/lead-rows.ts";
import type { OpenDatabaseOptions } from "../../shared/db/open-database.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { LeadTable, LeadTableBuilder, type LeadTableParts } from "../campaigns/lead-table.ts";
import { type CampaignDeployment, importAudioDirectory } from "../campaigns/campaigns.usecases.ts";
import type { ImportRun } from "./import-lock.ts";
import { type ImportProblem, PackageRejectedError, reject } from "./import-problem.ts";
import { type ImportReport, summarizeReport } from "./import-report.ts";
import type { ImportRepository } from "./import.repository.ts";
import { ImportAbortedError, PackageStaging } from "./package-validation.ts";
import { type StagingCarrier, StagingHelper } from "./package-staging-helper.ts";
import { openZipArchive, type ZipArchive, type ZipLimits } from "./zip-archive.ts";

/** An import from start to switch: hash, validate and stage, flush, deploy; or record why not. */

export interface ImportLimits extends ZipLimits {
  maxPackageBytes: number;
}

export interface ImporterDeps {
  imports: ImportRepository;
  clock: Clock;
  logger: Logger;
  audioStoragePath: string;
  /** Uploads are streamed to a file here before they are read. */
  uploadDirectory: string;
  /** An upload that sends nothing for this long is stopped and loses the import lock. */
  uploadStallMs: number;
  deployment: CampaignDeployment;
  limits: ImportLimits;
  /** Identifies this process in the import lock (shared/jobs/lease.ts). */
  leaseOwner: string;
  /**
   * The database as a second connection opens it: packages are then read, checked and staged by a
   * staging process (a thread under Deno; package-staging-helper.ts), and the serving thread only
   * answers the dialer. Null stages on this thread (an in-memory database cannot be shared).
   */
  stagingDatabase: OpenDatabaseOptions | null;
  /** How the staging side is run; absent: a process, or a thread where none can be started (Deno). */
  stagingCarrier?: StagingCarrier;
}

/** What reading, checking and staging a package needs: all of it can be had in another process. */
export type StagingDeps = Pick<ImporterDeps, "imports" | "clock" | "logger" | "audioStoragePath" | "limits" | "leaseOwner">;

/** Records a failure that happened before the package could be read (upload refused or cut short). */
export async function failImportEarly(deps: ImporterDeps, run: ImportRun, problem: ImportProblem): Promise<ImportReport> {
  run.report.problem(problem);
  return finishFailed(deps, run, "rejected");
}

/**
 * Validates a package completely, staging its leads and audio beside the served campaign, and
 * switches to it only when nothing is wrong. Whatever happens, the served campaign is untouched
 * until that switch, and a refused or failed import leaves nothing behind but its report.
 */
export async function importPackageFile(deps: ImporterDeps, run: ImportRun, packagePath: string, signal?: AbortSignal): Promise<ImportReport> {
  const importDirectory = importAudioDirectory(deps.audioStoragePath, run.id);
  const stager: PackageStager = deps.stagingDatabase ? new StagingHelper(deps, deps.stagingDatabase, deps.stagingCarrier) : stagerOnThisThread(deps);
  try {
    // A serving edge has the staging side build the lead table as it stages: the switch needs no second read of the leads.
    const stagedLeads = await stager.stage(run, { packagePath, importDirectory, signal, buildLeadTable: deps.deployment.buildsSnapshots });
    if (!run.report.clean) return await finishFailed(deps, run, "rejected", stager);
    if (signal?.aborted || run.leaseLost) throw new ImportAbortedError(signal?.aborted ? "the edge was shutting down" : "the import lock was taken over");
    const finishedAt = deps.clock.now();
    const report = run.report.finish("deployed", finishedAt, run.startedAt);
    await deps.deployment.deployStagedImport({
      importId: run.id,
      leaseOwner: deps.leaseOwner,
      stagedLeads,
      report: (previousImportId) => {
        report.replaced_import_id = previousImportId;
        return { ...report };
      },
    });
    run.stop();
    deps.logger.info("campaign deployed", { importId: run.id, campaignId: report.campaign?.id, leads: report.leads.valid, audioFiles: report.audio.files, replacedImportId: report.replaced_import_id });
    await stager.purgeUnservedImports().catch((error) => deps.logger.warn("could not remove data of retired campaigns", { error }));
    return report;
  } catch (error) {
    if (error instanceof PackageRejectedError) {
      run.report.problem(error.problem);
      return await finishFailed(deps, run, "rejected", stager);
    }
    if (error instanceof ImportAbortedError) {
      run.report.problem({ code: "import.interrupted", message: `the import was interrupted: ${error.message}; nothing changed` });
      return await finishFailed(deps, run, "failed", stager);
    }
    deps.logger.error("import failed", { importId: run.id, error, stack: (error as Error).stack });
    run.report.problem({ code: "import.internal_error", message: `the edge could not finish the import: ${(error as Error).message}; nothing changed` });
    return await finishFailed(deps, run, "failed", stager);
  } finally {
    run.stop();
    await stager.close().catch((error) => deps.logger.warn("could not close the staging side", { importId: run.id, error }));
  }
}

/** Where a package is staged and unserved imports are removed: a process (or thread) of its own, or this thread. */
export interface PackageStager {
  /** The staged leads as a table when the request asks for one and the package is clean. */
  stage(run: ImportRun, request: StagingRequest): Promise<LeadTable | null>;
  purgeUnservedImports(): Promise<void>;
  close(): Promise<void>;
}

function stagerOnThisThread(deps: ImporterDeps): PackageStager {
  return {
    stage: async (run, request) => {
      const leads = await stagePackageFile(deps, run, request);
      return leads ? new LeadTable(leads) : null;
    },
    purgeUnservedImports: async () => void (await deps.deployment.purgeUnservedImports()),
    close: async () => {},
  };
}

export interface StagingRequest {
  packagePath: string;
  importDirectory: string;
  signal?: AbortSignal;
  /** Whether the staged leads are also built into a lead table (a serving edge switches to it). */
  buildLeadTable: boolean;
}

/**
 * Hashes, reads, checks and stages a package into the database and its import directory, and makes
 * the staged files durable when it is clean; returns the lead table when asked for one and clean.
 * Throws PackageRejectedError or ImportAbortedError.
 */
export async function stagePackageFile(deps: StagingDeps, run: ImportRun, request: StagingRequest): Promise<LeadTableParts | null> {
  let archive: ZipArchive | null = null;
  try {
    if (run.report.report.package.sha256 === null) await hashPackageFile(deps, run, request.packagePath);
    await run.update({ phase: "reading" }, true);
    archive = await openZipArchive(request.packagePath, deps.limits);
    run.report.report.package.entries = archive.entries.length;
    const leads = request.buildLeadTable ? new LeadTableBuilder() : null;
    const onLeadsStaged = leads ? (staged: readonly ParsedLead[]) => staged.forEach((lead) => leads.add(lead)) : undefined;
    const staging = new PackageStaging(deps, run, archive, request.importDirectory, request.signal, onLeadsStaged);
    await staging.validateAndStage();
    if (!run.report.clean) return null;
    await run.update({ phase: "deploying" }, true);
    await flushToDisk(request.importDirectory, staging.writtenFiles);
    return leads?.finish() ?? null;
  } finally {
    await archive?.close();
  }
}

async function finishFailed(deps: ImporterDeps, run: ImportRun, outcome: "rejected" | "failed", stager: Pick<PackageStager, "purgeUnservedImports"> = stagerOnThisThread(deps)): Promise<ImportReport> {
  run.stop();
  const report = run.report.finish(outcome, deps.clock.now(), run.startedAt);
  const first = report.problems[0];
  await deps.imports.markImportFailed({ id: run.id, errorCode: first?.code ?? "import.failed", errorMessage: summarizeReport(report), report: { ...report }, now: deps.clock.now() });
  await stager.purgeUnservedImports().catch((error) => deps.logger.warn("could not remove a refused import's staged data", { importId: run.id, error }));
  deps.logger.warn(outcome === "rejected" ? "package refused" : "import failed", { importId: run.id, problems: report.problem_count, first: first?.message });
  return report;
}

async function hashPackageFile(deps: StagingDeps, run: ImportRun, path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    if (size > deps.limits.maxPackageBytes) reject("import.too_large", `the package is ${size} bytes; this edge accepts up to ${deps.limits.maxPackageBytes} (MAX_PACKAGE_BYTES)`);
    const hash = createHash("sha256");
    const buffer = new Uint8Array(1024 * 1024);
    let position = 0;
    while (position < size) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    run.report.report.package.bytes = size;
    run.report.report.package.sha256 = hash.digest("hex");
    await deps.imports.recordPackageDetails(run.id, { packageBytes: size, packageSha256: run.report.report.package.sha256 });
  } finally {
    await handle.close();
  }
}

/** Makes the staged files durable before the switch: one filesystem sync, or an fsync per file. */
async function flushToDisk(directory: string, files: readonly string[]): Promise<void> {
  if (files.length === 0) return;
  const synced = await runCommand("sync", ["-f", directory]).catch(() => ({ code: 1 }));
  if (synced.code === 0) return;
  for (const file of files) {
    const handle = await open(file, "r");
    await handle.sync();
    await handle.close();
  }
}
