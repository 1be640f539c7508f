import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { audioRelativePath } from "../../shared/contracts/campaign-package.ts";
import { conflict } from "../../shared/http/app-error.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { eventLoopTurns } from "../../shared/runtime/event-loop-turns.ts";
import { audioContentType, type CampaignSnapshot, campaignSnapshot, type ServedAudioFile, type ServedCampaigns, type ServedCampaignsHolder } from "./campaign-snapshot.ts";
import { LeadTable, LeadTableBuilder, type LeadTableParts } from "./lead-table.ts";
import type { EdgeDatabase } from "../db/edge-database.ts";
import type { CampaignRollback } from "./campaigns.schema.ts";
import { type CampaignsRepository, createCampaignsRepository, type DeployedImport, DeploymentConflictError } from "./campaigns.repository.ts";

export interface CampaignDeps {
  db: EdgeDatabase;
  clock: Clock;
  logger: Logger;
  /** Where each import's audio lives, one directory per import id. */
  audioStoragePath: string;
  served: ServedCampaignsHolder;
  /** Whether this process answers the dialer; commands that only switch campaigns build no snapshots. */
  serving: boolean;
  /** Called after every swap (the audio cache drops files of imports no longer served). */
  onServedChange?: (current: ServedCampaigns) => void;
  /**
   * Reads an import's leads into a lead table elsewhere (a serving edge: in a staging process), so
   * that a reload (start, rollback, a switch made by `edge import`) costs the dialer's thread no
   * per-lead work; null when that failed, and this thread reads them.
   */
  readLeadTableAside?: (importId: number, expectedCount: number) => Promise<LeadTable | null>;
}

const leadsPageSize = 500;
const deleteBatchSize = 2000;

export function importAudioDirectory(audioStoragePath: string, importId: number): string {
  return join(audioStoragePath, String(importId));
}

/** What reading a campaign needs: its rows, and where its audio lives. */
export interface CampaignSource {
  campaigns: CampaignsRepository;
  audioStoragePath: string;
  readLeadTableAside?: CampaignDeps["readLeadTableAside"];
}

/** `stagedLeads`: the import's leads, indexed as they were staged, instead of read back from the database. */
export async function loadCampaignSnapshot(deps: CampaignSource, source: Omit<DeployedImport, "state">, stagedLeads?: LeadTable): Promise<CampaignSnapshot> {
  const audio = await loadAudioIndex(deps, source.id, source.startedAt);
  const expectedCount = source.leadCount ?? 0;
  const leads = stagedLeads ?? (await deps.readLeadTableAside?.(source.id, expectedCount)) ?? new LeadTable(await readLeadTableParts(deps, source.id, expectedCount));
  return campaignSnapshot(
    { importId: source.id, campaignId: source.campaignId, campaignName: source.campaignName, importedAt: source.startedAt, activatedAt: source.activatedAt, defaultAudioPath: source.defaultAudio },
    leads,
    audio,
  );
}

/** Reads an import's leads from the database into a lead table sized for them, yielding between pages. */
export async function readLeadTableParts(deps: Pick<CampaignSource, "campaigns">, importId: number, expectedCount: number): Promise<LeadTableParts> {
  const leads = new LeadTableBuilder(expectedCount);
  const turns = eventLoopTurns();
  let after = 0;
  while (true) {
    const page = await deps.campaigns.readLeadsPage(importId, after, leadsPageSize);
    for (const record of page) {
      leads.add({ ...record, fields: JSON.parse(record.fields) as Record<string, string>, audio: JSON.parse(record.audio) as Record<string, string> });
    }
    if (page.length < leadsPageSize) break;
    after = page[page.length - 1]!.rowNumber;
    // Let the dialer's requests in between pages: a page is a few milliseconds of this thread.
    await turns.pause();
  }
  return leads.finish();
}

async function loadAudioIndex(deps: CampaignSource, importId: number, importedAt: number): Promise<Map<string, ServedAudioFile>> {
  const directory = importAudioDirectory(deps.audioStoragePath, importId);
  const files = new Map<string, ServedAudioFile>();
  for (const record of await deps.campaigns.readAudioFiles(importId)) {
    files.set(
      record.path,
      Object.freeze({
        importId,
        path: record.path,
        diskPath: join(directory, audioRelativePath(record.path)),
        size: record.size,
        sha256: record.sha256,
        etag: `"${record.sha256}"`,
        contentType: audioContentType(record.path),
        durationMs: record.durationMs,
        modifiedAt: importedAt,
      }),
    );
  }
  return files;
}

/** Builds what the dialer is served from out of the database's active and previous imports. */
export async function loadServedCampaigns(deps: CampaignSource): Promise<Omit<ServedCampaigns, "generation">> {
  const deployed = await deps.campaigns.findDeployedImports();
  const active = deployed.find((entry) => entry.state === "active");
  const previous = deployed.find((entry) => entry.state === "previous");
  const snapshot = active ? await loadCampaignSnapshot(deps, active) : null;
  const audioByImport = new Map<number, ReadonlyMap<string, ServedAudioFile>>();
  if (snapshot) audioByImport.set(snapshot.importId, snapshot.audio);
  if (previous) audioByImport.set(previous.id, await loadAudioIndex(deps, previous.id, previous.startedAt));
  return { active: snapshot, audioByImport, previousImportId: previous?.id ?? null };
}

/**
 * Keeps the served snapshot in step with the database when another process (`edge import`,
 * `edge rollback`) switches the campaign: the serving edge's watcher runs a cheap signature query
 * each second and reloads on change.
 */
export class CampaignDeployment {
  #signature: string | null = null;
  #reloading: Promise<void> | null = null;
  readonly #source: CampaignSource;

  constructor(private readonly deps: CampaignDeps) {
    this.#source = { campaigns: createCampaignsRepository(deps.db), audioStoragePath: deps.audioStoragePath, readLeadTableAside: deps.readLeadTableAside };
  }

  get served(): ServedCampaignsHolder {
    return this.deps.served;
  }

  /** Whether switching builds the dialer's snapshot (a serving process) or only switches the database. */
  get buildsSnapshots(): boolean {
    return this.deps.serving;
  }

  async load(): Promise<void> {
    // Read before loading: a switch that lands meanwhile changes the signature and is loaded next tick.
    const signature = await this.#source.campaigns.readDeploymentSignature();
    const next = await loadServedCampaigns(this.#source);
    this.deps.onServedChange?.(this.deps.served.replace(next));
    this.#signature = signature;
    const active = next.active;
    this.deps.logger.info("campaign loaded", active ? { importId: active.importId, campaignId: active.campaignId, leads: active.leads.length, audioFiles: active.audio.size } : { campaign: null });
  }

  /** Reloads when the database says another process switched campaigns. */
  async reloadIfChanged(): Promise<boolean> {
    if (this.#reloading) {
      await this.#reloading;
      return false;
    }
    const signature = await this.#source.campaigns.readDeploymentSignature();
    if (signature === this.#signature) return false;
    this.#reloading = this.load().finally(() => (this.#reloading = null));
    await this.#reloading;
    return true;
  }

  /**
   * Switches the dialer to a staged import: a serving process builds its snapshot first, then the
   * database switches in one transaction, then the snapshot is swapped in with one assignment.
   */
  async deployStagedImport(options: {
    importId: number;
    leaseOwner: string;
    /** The import's leads, indexed as they were staged; read back from the database when absent. */
    stagedLeads?: LeadTable | null;
    report: (previousImportId: number | null) => Record<string, unknown>;
  }): Promise<void> {
    const now = this.deps.clock.now();
    let snapshot: CampaignSnapshot | null = null;
    if (this.deps.serving) {
      const staged = await this.#source.campaigns.findImportSource(options.importId);
      if (!staged) throw new Error(`import ${options.importId} does not exist`);
      snapshot = await loadCampaignSnapshot(this.#source, { ...staged, activatedAt: now }, options.stagedLeads ?? undefined);
    }
    // One transaction: previous → retired, active → previous, the staged import → active, only while
    // the caller still holds its lease; the report names the import it replaces, read inside it.
    const switched = await this.deps.db.transaction(async (transaction) => {
      const campaigns = createCampaignsRepository(transaction);
      if (!(await campaigns.holdsImport(options.importId, options.leaseOwner))) throw new DeploymentConflictError(`import ${options.importId} is no longer held by this process`);
      const previous = await campaigns.findImportInState("active");
      await campaigns.retirePrevious(now);
      await campaigns.demoteActive();
      await campaigns.activateStaged(options.importId, now, options.report(previous?.id ?? null));
      return { previous, signature: await campaigns.readDeploymentSignature() };
    });
    if (snapshot) {
      const before = this.deps.served.current();
      const audioByImport = new Map<number, ReadonlyMap<string, ServedAudioFile>>([[snapshot.importId, snapshot.audio]]);
      const previous = switched.previous;
      if (previous) audioByImport.set(previous.id, before.audioByImport.get(previous.id) ?? (await loadAudioIndex(this.#source, previous.id, previous.startedAt)));
      this.deps.onServedChange?.(this.deps.served.replace({ active: snapshot, audioByImport, previousImportId: previous?.id ?? null }));
    }
    this.#signature = switched.signature;
  }

  /** The latest rollbacks, newest first, for the import history. */
  listRollbacks(limit: number): Promise<CampaignRollback[]> {
    return this.#source.campaigns.listRollbacks(limit);
  }

  /** `edge rollback` and the dashboard's button: the previous campaign is served again. */
  async rollback(operator: string | null = null): Promise<{ activeImportId: number; previousImportId: number }> {
    const now = this.deps.clock.now();
    const swapped = await this.deps.db.transaction(async (transaction) => {
      const campaigns = createCampaignsRepository(transaction);
      const previous = await campaigns.findImportInState("previous");
      const active = await campaigns.findImportInState("active");
      if (!previous || !active) return null;
      // Through a state without a uniqueness rule: each partial unique index holds at every step.
      await campaigns.setState(active.id, "retired");
      await campaigns.setState(previous.id, "active", now);
      await campaigns.setState(active.id, "previous");
      await campaigns.recordRollback({ rolledBackAt: now, operator, fromImportId: active.id, toImportId: previous.id });
      return { activeImportId: previous.id, previousImportId: active.id, signature: await campaigns.readDeploymentSignature() };
    });
    if (!swapped) throw conflict("campaign.no_previous", "there is no previous campaign to roll back to");
    if (this.deps.serving) await this.load();
    this.deps.logger.info("campaign rolled back", swapped);
    return swapped;
  }

  /** Removes the rows and files of imports nothing serves any more (retired, failed, interrupted). */
  async purgeUnservedImports(): Promise<number[]> {
    const purged: number[] = [];
    for (const importId of await this.#source.campaigns.findUnservedImportsWithData()) {
      while ((await this.#source.campaigns.deleteImportRows(importId, deleteBatchSize)) > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      purged.push(importId);
    }
    // Directories are listed before the states are read: an import creates its row before its directory.
    let entries: string[] = [];
    try {
      entries = await readdir(this.deps.audioStoragePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const keep = await this.#source.campaigns.findImportsKeepingFiles();
    for (const entry of entries) {
      if (!/^\d+$/.test(entry) || keep.has(Number(entry))) continue;
      await rm(join(this.deps.audioStoragePath, entry), { recursive: true, force: true });
      if (!purged.includes(Number(entry))) purged.push(Number(entry));
    }
    if (purged.length > 0) this.deps.logger.info("removed data of campaigns no longer served", { imports: purged });
    return purged;
  }
}
