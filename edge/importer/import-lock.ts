import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { conflict } from "../../shared/http/app-error.ts";
import { isLeaseOwnerGone, keepLeaseAlive, type LeaseKeeper } from "../../shared/jobs/lease.ts";
import type { ImportSource } from "../campaigns/campaigns.schema.ts";
import type { ImporterDeps, StagingDeps } from "./campaign-import.usecases.ts";
import { type ImportReport, ImportReportBuilder } from "./import-report.ts";
import { ImportLockTakenError, type ImportRecord } from "./import.repository.ts";

/**
 * The single import lock: a `running` import row held under a lease. Its holder renews the lease
 * with every progress write; a holder that stops renewing (killed, stalled) loses it, and whoever
 * finds it expired (the next import, the serving edge's watcher, a restart) clears what it left.
 */

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

/** A running import nobody will finish: its lease ran out, or its holder is a process on this host that no longer exists. */
function isAbandoned(running: ImportRecord, now: number): boolean {
  if ((running.leaseExpiresAt ?? 0) < now || !running.leaseOwner) return true;
  return isLeaseOwnerGone(running.leaseOwner);
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
  #lease: LeaseKeeper | null;
  #writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: StagingDeps,
    readonly id: number,
    readonly source: ImportSource,
    readonly fileName: string,
    readonly operator: string | null,
    readonly startedAt: number,
    private readonly onProgress?: (progress: ImportProgress) => void,
    resumed?: { report: ImportReport; progress: ImportProgress },
  ) {
    this.report = new ImportReportBuilder({ importId: id, source, fileName, operator, startedAt }, resumed?.report);
    if (source !== "cli") this.progress.phase = "receiving";
    if (resumed) Object.assign(this.progress, resumed.progress);
    this.#lease = keepLeaseAlive({ what: `import ${id}`, leaseMs, clock: deps.clock, intervalMs: heartbeatMs, heartbeat: () => this.#write() });
  }

  get leaseLost(): boolean {
    return this.#lost || (this.#lease?.lost() ?? false);
  }

  /** Records progress; writes it (renewing the lease) at most every few hundred ms unless forced. */
  async update(changes: Partial<ImportProgress>, force = false): Promise<void> {
    const phaseChanged = changes.phase !== undefined && changes.phase !== this.progress.phase;
    Object.assign(this.progress, changes);
    this.progress.problems = this.report.report.problem_count;
    this.onProgress?.(this.progress);
    if (!force && !phaseChanged && this.deps.clock.now() - this.#lastWrite < progressWriteMs) return;
    await this.#write();
  }

  /** Takes on progress that the staging side recorded (and wrote) for this import. */
  mirror(progress: ImportProgress): void {
    Object.assign(this.progress, progress);
    this.onProgress?.(this.progress);
  }

  /** Writes the progress and renews the lease; false once the lease is no longer this process's. */
  #write(): Promise<boolean> {
    this.#lastWrite = this.deps.clock.now();
    const progress = { ...this.progress };
    const written = this.#writing.then(async () => {
      try {
        const renewed = await this.deps.imports.renewImport({ id: this.id, leaseOwner: this.deps.leaseOwner, phase: this.progress.phase, progress, leaseExpiresAt: this.deps.clock.now() + leaseMs });
        if (!renewed && this.#lease) this.#lost = true;
        return renewed;
      } catch (error) {
        // The lease outlasts a missed write; the next one may get through.
        this.deps.logger.warn("could not record import progress", { importId: this.id, error });
        return true;
      }
    });
    this.#writing = written;
    return written;
  }

  stop(): void {
    void this.#lease?.stop();
    this.#lease = null;
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
      const id = await deps.imports.insertRunningImport({ source: options.source, fileName, operator: options.operator, leaseOwner: deps.leaseOwner, startedAt: now, leaseExpiresAt: now + leaseMs });
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
    await deps.imports.renewImport({ id: running.id, leaseOwner: running.leaseOwner ?? "", phase: running.phase, progress: running.progress, leaseExpiresAt: now - 1 });
  }
  const failed = await deps.imports.failExpiredImports(now);
  if (failed.length > 0) deps.logger.warn("cleared an import whose process stopped", { imports: failed });
  await deps.deployment.purgeUnservedImports();
}

/** At start: imports left running by a process that died are failed, their staged data and uploads removed. */
export async function recoverInterruptedImports(deps: ImporterDeps): Promise<void> {
  const running = await deps.imports.findRunningImport();
  if (running && isAbandoned(running, deps.clock.now())) await clearAbandonedImport(deps, running);
  else await deps.deployment.purgeUnservedImports();
  // Listed before the running import is read again: an upload's row is written before its file.
  const uploads = await readdir(deps.uploadDirectory).catch(() => [] as string[]);
  const current = await deps.imports.findRunningImport();
  for (const name of uploads) {
    if (current && name === `import-${current.id}.zip`) continue;
    await rm(join(deps.uploadDirectory, name), { force: true });
  }
}

/**
 * While the edge serves: an import whose holder stopped (killed mid-import, or its lease ran out)
 * is failed and its staged rows, upload and staging folder removed now, not when the next import starts.
 */
export async function clearAbandonedImports(deps: ImporterDeps): Promise<boolean> {
  const running = await deps.imports.findRunningImport();
  if (!running || !isAbandoned(running, deps.clock.now())) return false;
  await recoverInterruptedImports(deps);
  return true;
}
