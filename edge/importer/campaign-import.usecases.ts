import { createHash, randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { mkdir, open, readdir, rm, statfs } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import type { Client } from "@libsql/client";
import {
  audioPathPattern,
  audioRelativePath,
  type CampaignPackageManifest,
  campaignPackageLimits,
  campaignPackageManifest,
  campaignPackagePaths,
  wavSiblingPath,
} from "../../shared/contracts/campaign-package.ts";
import { asteriskWavProblem, inspectWavHeader, maxWavHeaderBytes, sniffAudioContainer, type WavFormat } from "../../shared/audio/wav-format.ts";
import { AppError, badRequest, conflict } from "../../shared/http/app-error.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { eventLoopTurns } from "../../shared/runtime/event-loop-turns.ts";
import { writeAllSync } from "../../shared/runtime/files.ts";
import { isProcessAlive, runCommand } from "../../shared/runtime/process.ts";
import { type CampaignDeployment, importAudioDirectory } from "../campaigns/campaigns.usecases.ts";
import type { ImportSource } from "../campaigns/campaigns.schema.ts";
import { CsvReader, CsvSyntaxError } from "../../shared/csv/csv-reader.ts";
import { type ImportProblem, PackageRejectedError, reject } from "./import-problem.ts";
import { ImportReportBuilder, type ImportReport, summarizeReport } from "./import-report.ts";
import {
  failExpiredImports,
  findRunningImport,
  ImportLockTakenError,
  type ImportRecord,
  insertRunningImport,
  insertStagedAudioFiles,
  insertStagedLeads,
  markImportFailed,
  recordPackageDetails,
  renewImport,
  type StagedAudioFile,
} from "./import.repository.ts";
import { type LeadColumnPlan, LeadUniqueness, type ParsedLead, parseLeadRow, planLeadColumns } from "../../shared/campaign-package/lead-rows.ts";
import { SqlInsertReader, SqlSyntaxError } from "./sql-insert-reader.ts";
import { openZipArchive, type ZipArchive, type ZipEntry, type ZipLimits } from "./zip-archive.ts";

export interface ImportLimits extends ZipLimits {
  maxPackageBytes: number;
}

export interface ImporterDeps {
  client: Client;
  clock: Clock;
  logger: Logger;
  audioStoragePath: string;
  /** Uploads are streamed to a file here before they are read. */
  uploadDirectory: string;
  deployment: CampaignDeployment;
  limits: ImportLimits;
  /** Identifies this process in the import lock (`host/pid/random`). */
  leaseOwner: string;
}

export type ImportPhase = "receiving" | "reading" | "manifest" | "leads" | "audio" | "checking" | "deploying" | "done";

export interface ImportProgress {
  phase: ImportPhase;
  bytes_received: number;
  bytes_expected: number | null;
  leads_read: number;
  leads_expected: number | null;
  audio_done: number;
  audio_expected: number | null;
  audio_bytes_done: number;
  audio_bytes_expected: number | null;
  problems: number;
}

const leaseMs = 60_000;
const heartbeatMs = 10_000;
const progressWriteMs = 400;
/** Leads staged per write: one write blocks the serving thread, so it is kept to a few milliseconds. */
const leadBatchSize = 250;
/** Characters of leads text parsed between two chances for the dialer's requests to be answered. */
const leadTextSlice = 8192;
const audioBatchSize = 500;
/** Room kept free on the audio disk beyond what a package needs. */
const diskHeadroomBytes = 64 * 1024 * 1024;

export function createLeaseOwner(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
}

/** A running import nobody will finish: its lease ran out, or its holder is a process on this host that no longer exists. */
function isAbandoned(running: ImportRecord, now: number): boolean {
  if ((running.leaseExpiresAt ?? 0) < now || !running.leaseOwner) return true;
  const [host, pid] = running.leaseOwner.split("/");
  if (host !== hostname() || !pid || !/^\d+$/.test(pid) || Number(pid) === process.pid) return false;
  return !isProcessAlive(Number(pid));
}

/** One import holding the lock: progress, lease renewal and the report being built. */
export class ImportRun {
  readonly progress: ImportProgress = {
    phase: "reading",
    bytes_received: 0,
    bytes_expected: null,
    leads_read: 0,
    leads_expected: null,
    audio_done: 0,
    audio_expected: null,
    audio_bytes_done: 0,
    audio_bytes_expected: null,
    problems: 0,
  };
  readonly report: ImportReportBuilder;
  #lastWrite = 0;
  #lost = false;
  #timer: ReturnType<typeof setInterval> | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ImporterDeps,
    readonly id: number,
    readonly source: ImportSource,
    readonly fileName: string,
    readonly operator: string | null,
    readonly startedAt: number,
    private readonly onProgress?: (progress: ImportProgress) => void,
  ) {
    this.report = new ImportReportBuilder({ importId: id, source, fileName, operator, startedAt });
    if (source === "upload") this.progress.phase = "receiving";
    this.#timer = setInterval(() => void this.update({}, true), heartbeatMs);
    this.#timer.unref?.();
  }

  get leaseLost(): boolean {
    return this.#lost;
  }

  /** Records progress; writes it (renewing the lease) at most every few hundred ms unless forced. */
  async update(changes: Partial<ImportProgress>, force = false): Promise<void> {
    const phaseChanged = changes.phase !== undefined && changes.phase !== this.progress.phase;
    Object.assign(this.progress, changes);
    this.progress.problems = this.report.report.problem_count;
    this.onProgress?.(this.progress);
    const now = this.deps.clock.now();
    if (!force && !phaseChanged && now - this.#lastWrite < progressWriteMs) return;
    this.#lastWrite = now;
    const progress = JSON.stringify(this.progress);
    this.#writing = this.#writing.then(async () => {
      try {
        const renewed = await renewImport(this.deps.client, { id: this.id, leaseOwner: this.deps.leaseOwner, phase: this.progress.phase, progress, leaseExpiresAt: this.deps.clock.now() + leaseMs });
        if (!renewed && this.#timer) this.#lost = true;
      } catch (error) {
        this.deps.logger.warn("could not record import progress", { importId: this.id, error });
      }
    });
    await this.#writing;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** Takes the import lock, clearing a lock left by a process that stopped. */
export async function beginImport(
  deps: ImporterDeps,
  options: { source: ImportSource; fileName: string; operator: string | null; onProgress?: (progress: ImportProgress) => void },
): Promise<ImportRun> {
  const fileName = options.fileName.replace(/[\u0000-\u001f\u007f]/g, "").slice(0, 255) || "package.zip";
  for (let attempt = 0; ; attempt++) {
    const now = deps.clock.now();
    try {
      const id = await insertRunningImport(deps.client, { source: options.source, fileName, operator: options.operator, leaseOwner: deps.leaseOwner, now, leaseExpiresAt: now + leaseMs });
      deps.logger.info("import started", { importId: id, source: options.source, fileName, operator: options.operator });
      return new ImportRun(deps, id, options.source, fileName, options.operator, now, options.onProgress);
    } catch (error) {
      if (!(error instanceof ImportLockTakenError)) throw error;
      const running = error.running;
      if (attempt === 0 && isAbandoned(running, now)) {
        await clearAbandonedImport(deps, running);
        continue;
      }
      throw conflict(
        "import.busy",
        `import ${running.id} (${running.source === "cli" ? "command line" : "upload"} of ${running.fileName}${running.operator ? ` by ${running.operator}` : ""}, started ${new Date(running.startedAt).toISOString()}) is still running; wait for it to finish`,
        { running_import_id: running.id },
      );
    }
  }
}

async function clearAbandonedImport(deps: ImporterDeps, running: ImportRecord): Promise<void> {
  const now = deps.clock.now();
  if ((running.leaseExpiresAt ?? 0) >= now) {
    // Its process is gone: expire the lease now instead of waiting for it to run out.
    await renewImport(deps.client, { id: running.id, leaseOwner: running.leaseOwner ?? "", phase: running.phase, progress: JSON.stringify(running.progress), leaseExpiresAt: now - 1 });
  }
  const failed = await failExpiredImports(deps.client, now);
  if (failed.length > 0) deps.logger.warn("cleared an import whose process stopped", { imports: failed });
  await deps.deployment.purgeUnservedImports();
}

/** At start: imports left running by a process that died are failed, their staged data and uploads removed. */
export async function recoverInterruptedImports(deps: ImporterDeps): Promise<void> {
  let running = await findRunningImport(deps.client);
  if (running && isAbandoned(running, deps.clock.now())) {
    await clearAbandonedImport(deps, running);
    running = null;
  } else await deps.deployment.purgeUnservedImports();
  const uploads = await readdir(deps.uploadDirectory).catch(() => [] as string[]);
  for (const name of uploads) {
    if (running && name === `import-${running.id}.zip`) continue;
    await rm(join(deps.uploadDirectory, name), { force: true });
  }
}

/**
 * Streams an upload to a file under the upload directory, hashing it on the way; the body is
 * never held in memory. Sizes are checked as bytes arrive; a declared size over MAX_PACKAGE_BYTES
 * never gets here (the app's body limit refuses it first).
 */
export async function receiveUpload(
  deps: ImporterDeps,
  run: ImportRun,
  body: ReadableStream<Uint8Array> | null,
  declaredBytes: number,
  signal?: AbortSignal,
): Promise<string> {
  if (!body) throw badRequest("import.empty_upload", "the request carries no package");
  await mkdir(deps.uploadDirectory, { recursive: true });
  const path = join(deps.uploadDirectory, `import-${run.id}.zip`);
  const descriptor = openSync(path, "wx", 0o600);
  const hash = createHash("sha256");
  let received = 0;
  await run.update({ phase: "receiving", bytes_expected: declaredBytes }, true);
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      if (signal?.aborted) throw new AppError("import.interrupted", 503, "the edge is shutting down; upload the package again once it is back");
      received += chunk.length;
      if (received > declaredBytes) throw badRequest("import.upload_incomplete", `the upload carries more than the ${declaredBytes} bytes its Content-Length declares`);
      hash.update(chunk);
      writeAllSync(descriptor, chunk);
      await run.update({ bytes_received: received });
    }
  } catch (error) {
    closeSync(descriptor);
    await rm(path, { force: true });
    if (error instanceof AppError) throw error;
    throw badRequest("import.upload_incomplete", `the upload stopped after ${received} of ${declaredBytes} bytes: ${(error as Error).message}`);
  }
  closeSync(descriptor);
  if (received !== declaredBytes) {
    await rm(path, { force: true });
    throw badRequest("import.upload_incomplete", `the upload stopped after ${received} of ${declaredBytes} bytes`);
  }
  run.report.report.package.bytes = received;
  run.report.report.package.sha256 = hash.digest("hex");
  await recordPackageDetails(deps.client, run.id, { packageBytes: received, packageSha256: run.report.report.package.sha256 });
  return path;
}

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
  let archive: ZipArchive | null = null;
  try {
    if (run.report.report.package.sha256 === null) await hashPackageFile(deps, run, packagePath);
    await run.update({ phase: "reading" }, true);
    archive = await openZipArchive(packagePath, deps.limits);
    run.report.report.package.entries = archive.entries.length;
    const staging = new PackageStaging(deps, run, archive, importDirectory, signal);
    await staging.validateAndStage();
    if (!run.report.clean) return await finishFailed(deps, run, "rejected");
    await run.update({ phase: "deploying" }, true);
    await flushToDisk(importDirectory, staging.writtenFiles);
    if (signal?.aborted || run.leaseLost) throw new ImportAbortedError(signal?.aborted ? "the edge was shutting down" : "the import lock was taken over");
    const finishedAt = deps.clock.now();
    const report = run.report.finish("deployed", finishedAt, run.startedAt);
    await deps.deployment.deployStagedImport({
      importId: run.id,
      leaseOwner: deps.leaseOwner,
      report: (previousImportId) => {
        report.replaced_import_id = previousImportId;
        return JSON.stringify(report);
      },
    });
    run.stop();
    deps.logger.info("campaign deployed", { importId: run.id, campaignId: report.campaign?.id, leads: report.leads.valid, audioFiles: report.audio.files, replacedImportId: report.replaced_import_id });
    await deps.deployment.purgeUnservedImports().catch((error) => deps.logger.warn("could not remove data of retired campaigns", { error }));
    return report;
  } catch (error) {
    if (error instanceof PackageRejectedError) {
      run.report.problem(error.problem);
      return await finishFailed(deps, run, "rejected");
    }
    if (error instanceof ImportAbortedError) {
      run.report.problem({ code: "import.interrupted", message: `the import was interrupted: ${error.message}; nothing changed` });
      return await finishFailed(deps, run, "failed");
    }
    deps.logger.error("import failed", { importId: run.id, error, stack: (error as Error).stack });
    run.report.problem({ code: "import.internal_error", message: `the edge could not finish the import: ${(error as Error).message}; nothing changed` });
    return await finishFailed(deps, run, "failed");
  } finally {
    run.stop();
    await archive?.close();
  }
}

class ImportAbortedError extends Error {}

async function finishFailed(deps: ImporterDeps, run: ImportRun, outcome: "rejected" | "failed"): Promise<ImportReport> {
  run.stop();
  const report = run.report.finish(outcome, deps.clock.now(), run.startedAt);
  const first = report.problems[0];
  await markImportFailed(deps.client, { id: run.id, errorCode: first?.code ?? "import.failed", errorMessage: summarizeReport(report), report: JSON.stringify(report), now: deps.clock.now() });
  await deps.deployment.purgeUnservedImports().catch((error) => deps.logger.warn("could not remove a refused import's staged data", { importId: run.id, error }));
  deps.logger.warn(outcome === "rejected" ? "package refused" : "import failed", { importId: run.id, problems: report.problem_count, first: first?.message });
  return report;
}

async function hashPackageFile(deps: ImporterDeps, run: ImportRun, path: string): Promise<void> {
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
    await recordPackageDetails(deps.client, run.id, { packageBytes: size, packageSha256: run.report.report.package.sha256 });
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

class StopEntry extends Error {}

/** Reads one package: manifest, then leads, then audio, checking everything and staging while clean. */
class PackageStaging {
  readonly writtenFiles: string[] = [];
  #manifest!: CampaignPackageManifest;
  #listed = new Map<string, { size: number; sha256: string }>();
  #wavFiles = new Set<string>();
  #audioEntries: ZipEntry[] = [];
  #referenced = new Set<string>();
  #wavFormats = new Map<string, WavFormat>();
  #madeDirectories = new Set<string>();

  constructor(
    private readonly deps: ImporterDeps,
    private readonly run: ImportRun,
    private readonly archive: ZipArchive,
    private readonly importDirectory: string,
    private readonly signal?: AbortSignal,
  ) {}

  get #report() {
    return this.run.report;
  }

  async validateAndStage(): Promise<void> {
    const leadsEntry = this.#classifyEntries();
    if (!(await this.#readManifest())) return;
    this.#compareWithManifest();
    if (leadsEntry) await this.#readLeads(leadsEntry);
    await this.#checkDiskSpace();
    await this.#readAudio();
    await this.#finalChecks();
    const report = this.#report.report;
    await recordPackageDetails(this.deps.client, this.run.id, { leadCount: report.leads.valid, audioCount: report.audio.files, audioBytes: report.audio.bytes });
  }

  #classifyEntries(): ZipEntry | null {
    let leadsEntry: ZipEntry | null = null;
    for (const entry of this.archive.entries) {
      const name = entry.name;
      if (entry.isDirectory) {
        if (name === campaignPackagePaths.audioDirectory || name.startsWith(campaignPackagePaths.audioDirectory)) continue;
        this.#report.problem({ code: "package.unexpected_file", message: `${name}: unexpected directory; a package holds manifest.json, leads.csv or leads.sql, and audio/…${macosHint(name)}`, file: name });
        continue;
      }
      if (name === campaignPackagePaths.manifest) continue;
      if (name === campaignPackagePaths.leadsCsv || name === campaignPackagePaths.leadsSql) {
        if (leadsEntry) this.#report.problem({ code: "package.two_leads_files", message: "the package holds both leads.csv and leads.sql; keep one", file: name });
        leadsEntry = entry;
        continue;
      }
      if (name.startsWith(campaignPackagePaths.audioDirectory)) {
        if (!audioPathPattern.test(name)) {
          this.#report.problem({
            code: "package.bad_audio_path",
            message: `${name}: audio files are .wav (RIFF PCM, 8 kHz, mono, 16-bit) or .ulaw, named with letters, digits, '.', '_' and '-' only`,
            file: name,
          });
          continue;
        }
        this.#audioEntries.push(entry);
        if (name.endsWith(".wav")) this.#wavFiles.add(name);
        continue;
      }
      this.#report.problem({ code: "package.unexpected_file", message: `${name}: unexpected file; a package holds manifest.json, leads.csv or leads.sql, and audio/…${macosHint(name)}`, file: name });
    }
    if (!this.archive.byName.has(campaignPackagePaths.manifest)) {
      reject("package.no_manifest", "the package has no manifest.json at its top level (was the folder zipped instead of its contents?)", { file: campaignPackagePaths.manifest });
    }
    if (!leadsEntry) this.#report.problem({ code: "package.no_leads", message: "the package holds neither leads.csv nor leads.sql" });
    this.#report.report.package.leads_file = leadsEntry?.name ?? null;
    return leadsEntry;
  }

  /** False when the manifest is unusable (its problems are recorded): nothing else can be checked. */
  async #readManifest(): Promise<boolean> {
    await this.run.update({ phase: "manifest" }, true);
    const entry = this.archive.byName.get(campaignPackagePaths.manifest)!;
    const file = campaignPackagePaths.manifest;
    if (entry.uncompressedSize > campaignPackageLimits.maxManifestBytes) {
      reject("manifest.too_large", `manifest.json is ${entry.uncompressedSize} bytes; at most ${campaignPackageLimits.maxManifestBytes}`, { file });
    }
    const chunks: Uint8Array[] = [];
    await this.archive.readEntry(entry, (chunk) => void chunks.push(chunk));
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      reject("manifest.invalid", "manifest.json is not UTF-8 text", { file });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      reject("manifest.invalid", `manifest.json is not valid JSON: ${(error as Error).message}`, { file });
    }
    const parsed = campaignPackageManifest.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 20)) {
        const at = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
        this.#report.problem({ code: "manifest.invalid", message: `manifest.json, ${at}: ${issue.message}`, file, column: at });
      }
      return false;
    }
    this.#manifest = parsed.data;
    const report = this.#report.report;
    report.campaign = { id: parsed.data.campaign.id, name: parsed.data.campaign.name };
    report.package.format_version = parsed.data.format_version;
    report.package.created_at = parsed.data.created_at;
    report.package.generator = `${parsed.data.generator.name} ${parsed.data.generator.version}`;
    report.leads.declared = parsed.data.lead_count;
    for (const listed of parsed.data.files) this.#listed.set(listed.path, { size: listed.size, sha256: listed.sha256 });
    await recordPackageDetails(this.deps.client, this.run.id, {
      campaignId: parsed.data.campaign.id,
      campaignName: parsed.data.campaign.name,
      defaultAudio: parsed.data.default_audio ?? null,
    });
    return true;
  }

  #compareWithManifest(): void {
    for (const [path, listed] of this.#listed) {
      const entry = this.archive.byName.get(path);
      if (!entry || entry.isDirectory) {
        this.#report.problem({ code: "package.missing_file", message: `${path} is listed in manifest.json but is not in the zip`, file: path });
      } else if (entry.uncompressedSize !== listed.size) {
        this.#report.problem({ code: "package.size_mismatch", message: `${path} is ${entry.uncompressedSize} bytes; manifest.json says ${listed.size}`, file: path });
      }
    }
    for (const entry of this.archive.entries) {
      if (entry.isDirectory || entry.name === campaignPackagePaths.manifest || this.#listed.has(entry.name)) continue;
      this.#report.problem({ code: "package.unlisted_file", message: `${entry.name} is in the zip but not listed in manifest.json (its checksum cannot be verified)`, file: entry.name });
    }
    this.run.progress.leads_expected = this.#manifest.lead_count;
    this.run.progress.audio_expected = this.#audioEntries.length;
    this.run.progress.audio_bytes_expected = this.#audioEntries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  }

  async #readLeads(entry: ZipEntry): Promise<void> {
    await this.run.update({ phase: "leads" }, true);
    const file = entry.name;
    if (entry.uncompressedSize > campaignPackageLimits.maxLeadsFileBytes) {
      this.#report.problem({ code: "leads.too_large", message: `${file} is ${entry.uncompressedSize} bytes; at most ${campaignPackageLimits.maxLeadsFileBytes}`, file });
      return;
    }
    const report = this.#report.report;
    const uniqueness = new LeadUniqueness();
    const phoneCounts = new Map<string, number>();
    let batch: ParsedLead[] = [];
    let plan: LeadColumnPlan | null = null;
    let planKey = "";
    let rowNumber = 0;
    let stopped = false;

    const planColumns = (columns: readonly string[], line: number) => {
      if (stopped) return;
      const key = columns.join(",");
      if (plan) {
        if (key === planKey) return;
        this.#report.problem({ code: "leads.inconsistent_columns", message: `${file} line ${line}: this INSERT lists columns (${key.slice(0, 200)}) different from the first one`, file, line });
        stopped = true;
        return;
      }
      const planned = planLeadColumns(file, columns);
      if ("problems" in planned) {
        for (const problem of planned.problems) this.#report.problem(problem);
        stopped = true;
        return;
      }
      plan = planned.plan;
      planKey = key;
      report.leads.columns = [...plan.columns];
      report.leads.audio_slots = [...new Set(plan.audioSlots.values())];
    };

    const acceptRow = (values: string[], line: number) => {
      if (stopped || !plan) return;
      rowNumber++;
      report.leads.rows = rowNumber;
      if (rowNumber > campaignPackageLimits.maxLeads) {
        this.#report.problem({ code: "leads.too_many", message: `${file} holds more than ${campaignPackageLimits.maxLeads} leads`, file });
        stopped = true;
        return;
      }
      const parsed = parseLeadRow(plan, values, { rowNumber, line, wavFiles: this.#wavFiles });
      if ("problems" in parsed) {
        for (const problem of parsed.problems) this.#report.problem(problem);
        return;
      }
      const lead = parsed.lead;
      const repeated = uniqueness.check(file, lead, line);
      if (repeated) {
        this.#report.problem(repeated);
        return;
      }
      phoneCounts.set(lead.phoneNumber, (phoneCounts.get(lead.phoneNumber) ?? 0) + 1);
      let missingAudio = false;
      for (const path of Object.values(lead.audio)) {
        if (path === "") missingAudio = true;
        else this.#referenced.add(path);
      }
      if (missingAudio) report.leads.without_audio++;
      report.leads.valid++;
      if (this.#report.clean) batch.push(lead);
    };

    let sawHeader = false;
    const reader =
      file === campaignPackagePaths.leadsCsv
        ? new CsvReader((record) => {
            if (sawHeader) acceptRow(record.fields, record.line);
            else {
              sawHeader = true;
              planColumns(record.fields, record.line);
            }
          }, campaignPackageLimits.maxFieldLength * 4)
        : new SqlInsertReader((row) => {
            sawHeader = true;
            planColumns(row.columns, row.line);
            acceptRow(row.values, row.line);
          });

    const decoder = new TextDecoder("utf-8", { fatal: true });
    const hash = createHash("sha256");
    const turns = eventLoopTurns();
    let bytesRead = 0;
    try {
      await this.archive.readEntry(entry, async (chunk) => {
        this.#checkAbort();
        hash.update(chunk);
        bytesRead += chunk.length;
        let text: string;
        try {
          text = decoder.decode(chunk, { stream: true });
        } catch {
          throw new LeadsFileError({ code: "leads.not_utf8", message: `${file} is not UTF-8 text (invalid bytes near byte ${bytesRead - chunk.length}); save it as UTF-8`, file });
        }
        // Parsing, checking and staging run on the thread that answers the dialer: in slices.
        for (let start = 0; start < text.length && !stopped; ) {
          let end = Math.min(text.length, start + leadTextSlice);
          if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end++;
          reader.push(text.slice(start, end));
          start = end;
          if (batch.length >= leadBatchSize) {
            const staged = batch;
            batch = [];
            if (this.#report.clean) await insertStagedLeads(this.deps.client, this.run.id, staged);
          }
          await turns.pause();
        }
        await this.run.update({ leads_read: rowNumber });
      });
      let tail: string;
      try {
        tail = decoder.decode();
      } catch {
        throw new LeadsFileError({ code: "leads.not_utf8", message: `${file} ends in the middle of a UTF-8 character; save it as UTF-8`, file });
      }
      if (!stopped) {
        if (tail) reader.push(tail);
        reader.end();
      }
    } catch (error) {
      if (error instanceof LeadsFileError) {
        this.#report.problem(error.problem);
        return;
      }
      if (error instanceof CsvSyntaxError || error instanceof SqlSyntaxError) {
        this.#report.problem({ code: "leads.syntax", message: `${file}: ${error.message}`, file, line: error.line });
        return;
      }
      throw error;
    }
    if (!sawHeader) this.#report.problem({ code: "leads.empty", message: `${file} holds no leads: it needs ${file.endsWith(".csv") ? "a header row and" : "INSERT statements with"} at least one lead`, file });
    if (this.#report.clean && batch.length > 0) await insertStagedLeads(this.deps.client, this.run.id, batch);
    await this.run.update({ leads_read: rowNumber }, true);
    this.#checkChecksum(file, hash.digest("hex"));
    report.leads.shared_phone_numbers = [...phoneCounts.values()].filter((count) => count > 1).length;
    if (report.leads.shared_phone_numbers > 0) {
      this.#report.warning({
        code: "leads.shared_phone_numbers",
        message: `${report.leads.shared_phone_numbers} phone number${report.leads.shared_phone_numbers === 1 ? " is" : "s are"} shared by several leads; a lookup by phone answers the first of them`,
        file,
      });
    }
    if (report.leads.without_audio > 0) {
      this.#report.warning({ code: "leads.without_audio", message: `${report.leads.without_audio} lead${report.leads.without_audio === 1 ? " has" : "s have"} an empty audio cell; the default prompt plays there`, file });
    }
    if (rowNumber !== this.#manifest.lead_count && plan) {
      this.#report.problem({ code: "leads.count_mismatch", message: `${file} holds ${rowNumber} leads; manifest.json says lead_count ${this.#manifest.lead_count}`, file });
    }
  }

  async #checkDiskSpace(): Promise<void> {
    const needed = this.#audioEntries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
    if (!this.#report.clean || needed === 0) return;
    await mkdir(this.importDirectory, { recursive: true });
    const space = await statfs(this.importDirectory);
    const available = Number(space.bavail) * Number(space.bsize);
    if (available < needed + diskHeadroomBytes) {
      reject("import.disk_full", `the audio needs ${needed} bytes but ${this.deps.audioStoragePath} has ${available} free (keeping ${diskHeadroomBytes} spare)`);
    }
  }

  async #readAudio(): Promise<void> {
    await this.run.update({ phase: "audio" }, true);
    const report = this.#report.report;
    let batch: StagedAudioFile[] = [];
    // In archive order: the file is read front to back.
    const ordered = [...this.#audioEntries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    for (const entry of ordered) {
      this.#checkAbort();
      const staged = await this.#readAudioFile(entry);
      report.audio.files++;
      report.audio.bytes += entry.uncompressedSize;
      if (entry.name.endsWith(".wav")) report.audio.wav_files++;
      else report.audio.ulaw_files++;
      if (staged) {
        report.audio.duration_ms += staged.durationMs ?? 0;
        if (this.#report.clean) batch.push(staged);
      }
      if (batch.length >= audioBatchSize) {
        await insertStagedAudioFiles(this.deps.client, this.run.id, batch);
        batch = [];
      }
      await this.run.update({ audio_done: report.audio.files, audio_bytes_done: report.audio.bytes });
    }
    if (this.#report.clean) await insertStagedAudioFiles(this.deps.client, this.run.id, batch);
    await this.run.update({ audio_done: report.audio.files, audio_bytes_done: report.audio.bytes }, true);
  }

  async #readAudioFile(entry: ZipEntry): Promise<StagedAudioFile | null> {
    const file = entry.name;
    const isWav = file.endsWith(".wav");
    if (entry.uncompressedSize > campaignPackageLimits.maxAudioFileBytes) {
      this.#report.problem({ code: "audio.too_large", message: `${file} is ${entry.uncompressedSize} bytes; an audio file may be at most ${campaignPackageLimits.maxAudioFileBytes}`, file });
      return null;
    }
    const hash = createHash("sha256");
    let header = new Uint8Array(0);
    let format: WavFormat | null = null;
    const target = join(this.importDirectory, audioRelativePath(file));
    // Synchronous writes: per file they cost tens of microseconds, where each awaited open/write/close
    // round trip through the thread pool costs far more; the dialer is served between entries.
    let descriptor: number | null = null;
    let checkedUlaw = false;
    try {
      await this.archive.readEntry(entry, async (chunk) => {
        this.#checkAbort();
        hash.update(chunk);
        if (isWav && !format) {
          header = header.length === 0 ? chunk.slice(0, maxWavHeaderBytes) : Buffer.concat([header, chunk.subarray(0, maxWavHeaderBytes)]);
          const inspected = inspectWavHeader(header, entry.uncompressedSize);
          if (inspected.status === "invalid") {
            this.#report.problem({ code: "audio.not_wav", message: `${file} is ${inspected.reason}; Asterisk plays RIFF PCM WAV, 8000 Hz, mono, 16-bit`, file });
            throw new StopEntry();
          }
          if (inspected.status === "ok") {
            const problem = asteriskWavProblem(inspected.format);
            if (problem) {
              this.#report.problem({ code: "audio.unsupported_format", message: `${file} is ${problem}; Asterisk plays a .wav only as PCM, 8000 Hz, mono, 16-bit`, file });
              throw new StopEntry();
            }
            format = inspected.format;
            header = new Uint8Array(0);
          }
        }
        if (!isWav && !checkedUlaw) {
          checkedUlaw = true;
          const other = sniffAudioContainer(chunk, { frameSync: false });
          if (other) {
            this.#report.problem({ code: "audio.not_ulaw", message: `${file} is ${other}; a .ulaw file holds raw G.711 µ-law samples without a header`, file });
            throw new StopEntry();
          }
        }
        if (!this.#report.clean) return;
        if (descriptor === null) {
          const directory = dirname(target);
          if (!this.#madeDirectories.has(directory)) {
            mkdirSync(directory, { recursive: true });
            this.#madeDirectories.add(directory);
          }
          descriptor = openSync(target, "wx", 0o644);
        }
        writeAllSync(descriptor, chunk);
      });
    } catch (error) {
      if (!(error instanceof StopEntry)) throw error;
      return null;
    } finally {
      if (descriptor !== null) closeSync(descriptor);
    }
    if (isWav && !format) {
      this.#report.problem({ code: "audio.not_wav", message: `${file} ends before its WAV header does`, file });
      return null;
    }
    if (descriptor !== null) this.writtenFiles.push(target);
    if (entry.uncompressedSize === 0) {
      this.#report.problem({ code: "audio.empty", message: `${file} is empty`, file });
      return null;
    }
    if (!this.#checkChecksum(file, hash.digest("hex"))) return null;
    if (format) this.#wavFormats.set(file, format);
    return { path: file, size: entry.uncompressedSize, sha256: this.#listed.get(file)!.sha256, durationMs: format ? (format as WavFormat).durationMs : null };
  }

  async #finalChecks(): Promise<void> {
    await this.run.update({ phase: "checking" }, true);
    const report = this.#report.report;
    const defaultAudio = this.#manifest.default_audio;
    if (defaultAudio) this.#referenced.add(defaultAudio);
    const unreferenced = [...this.#wavFiles].filter((path) => !this.#referenced.has(path));
    report.audio.unreferenced = unreferenced.length;
    if (unreferenced.length > 0) {
      this.#report.warning({
        code: "audio.unreferenced",
        message: `${unreferenced.length} audio file${unreferenced.length === 1 ? " is" : "s are"} not used by any lead (e.g. ${unreferenced.slice(0, 3).join(", ")}); they are kept but never played`,
        file: unreferenced[0],
      });
    }
    for (const entry of this.#audioEntries) {
      if (!entry.name.endsWith(".ulaw")) continue;
      const sibling = wavSiblingPath(entry.name);
      const wav = this.#wavFormats.get(sibling);
      if (!this.#wavFiles.has(sibling)) {
        this.#report.problem({ code: "audio.orphan_ulaw", message: `${entry.name} has no ${sibling} beside it; a .ulaw file is a sibling of a .wav`, file: entry.name });
      } else if (wav && Math.abs(entry.uncompressedSize - wav.dataBytes / 2) > Math.max(160, wav.dataBytes / 200)) {
        this.#report.warning({ code: "audio.ulaw_length", message: `${entry.name} holds ${entry.uncompressedSize} samples but ${sibling} holds ${wav.dataBytes / 2}: they may not be the same recording`, file: entry.name });
      }
    }
    this.run.progress.problems = report.problem_count;
  }

  #checkChecksum(file: string, sha256: string): boolean {
    const listed = this.#listed.get(file);
    if (!listed) return false;
    if (listed.sha256 !== sha256) {
      this.#report.problem({ code: "package.checksum_mismatch", message: `${file} has SHA-256 ${sha256}; manifest.json says ${listed.sha256} (damaged or altered file)`, file });
      return false;
    }
    return true;
  }

  #checkAbort(): void {
    if (this.signal?.aborted) throw new ImportAbortedError("the edge was shutting down");
    if (this.run.leaseLost) throw new ImportAbortedError("the import lock was taken over");
  }
}

class LeadsFileError extends Error {
  constructor(readonly problem: ImportProblem) {
    super(problem.message);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function macosHint(name: string): string {
  return name.startsWith("__MACOSX") || name.endsWith(".DS_Store") ? " (macOS Finder adds these: create the zip with `zip -r -X`)" : "";
}

/** Imports running in the background of the server, so shutdown can interrupt and await them. */
export class BackgroundImports {
  readonly #controller = new AbortController();
  readonly #running = new Set<Promise<unknown>>();

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  track(work: Promise<unknown>): void {
    const tracked = work.catch(() => {}).finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
  }

  /** Resolves when every background import has finished (used by tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  /** Interrupts running imports (they fail cleanly, leaving the served campaign as it was). */
  async stop(): Promise<void> {
    this.#controller.abort();
    await this.idle();
  }
}

/**
 * The importer page's upload: the lock is taken first (so a busy edge refuses at once), the body
 * is streamed to disk, and the import then runs in the background while the page polls progress.
 */
export async function startUploadedImport(
  deps: ImporterDeps,
  background: BackgroundImports,
  input: { body: ReadableStream<Uint8Array> | null; declaredBytes: number; fileName: string; operator: string | null },
): Promise<number> {
  if (background.signal.aborted) throw new AppError("import.interrupted", 503, "the edge is shutting down");
  const run = await beginImport(deps, { source: "upload", fileName: input.fileName, operator: input.operator });
  let path: string;
  try {
    path = await receiveUpload(deps, run, input.body, input.declaredBytes, background.signal);
  } catch (error) {
    const appError = error instanceof AppError ? error : badRequest("import.upload_incomplete", `the upload failed: ${(error as Error).message}`);
    await failImportEarly(deps, run, { code: appError.code, message: appError.message });
    throw appError;
  }
  background.track(importPackageFile(deps, run, path, background.signal).finally(() => rm(path, { force: true })));
  return run.id;
}
