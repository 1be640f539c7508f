import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import { audioRelativePath } from "../../shared/contracts/campaign-package.ts";
import { conflict } from "../../shared/http/app-error.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { eventLoopTurns } from "../../shared/runtime/event-loop-turns.ts";
import {
  audioContentType,
  CampaignSnapshotBuilder,
  type CampaignSnapshot,
  type ServedAudioFile,
  type ServedCampaigns,
  type ServedCampaignsHolder,
} from "./campaign-snapshot.ts";
import {
  activateImport,
  type DeployedImport,
  deleteImportRows,
  findDeployedImports,
  findImportSource,
  findImportsKeepingFiles,
  findUnservedImportsWithData,
  readAudioFiles,
  readDeploymentSignature,
  readLeadsPage,
  swapActiveAndPrevious,
} from "./campaigns.repository.ts";

export interface CampaignDeps {
  client: Client;
  clock: Clock;
  logger: Logger;
  /** Where each import's audio lives, one directory per import id. */
  audioStoragePath: string;
  served: ServedCampaignsHolder;
  /** Whether this process answers the dialer; commands that only switch campaigns build no snapshots. */
  serving: boolean;
  /** Called after every swap (the audio cache drops files of imports no longer served). */
  onServedChange?: (current: ServedCampaigns) => void;
}

const leadsPageSize = 500;
const deleteBatchSize = 2000;

export function importAudioDirectory(audioStoragePath: string, importId: number): string {
  return join(audioStoragePath, String(importId));
}

/** Reads an import's leads and audio from the database into a snapshot, yielding between pages. */
export async function loadCampaignSnapshot(deps: Pick<CampaignDeps, "client" | "audioStoragePath">, source: Omit<DeployedImport, "state">): Promise<CampaignSnapshot> {
  const audio = await loadAudioIndex(deps, source.id, source.startedAt);
  const leads = new CampaignSnapshotBuilder();
  const turns = eventLoopTurns();
  let after = 0;
  while (true) {
    const page = await readLeadsPage(deps.client, source.id, after, leadsPageSize);
    for (const record of page) {
      leads.add(
        Object.freeze({
          leadId: record.leadId,
          rowNumber: record.rowNumber,
          vendorLeadCode: record.vendorLeadCode,
          phoneNumber: record.phoneNumber,
          fields: Object.freeze(JSON.parse(record.fields) as Record<string, string>),
          audio: Object.freeze(JSON.parse(record.audio) as Record<string, string>),
        }),
      );
    }
    if (page.length < leadsPageSize) break;
    after = page[page.length - 1]!.rowNumber;
    // Let the dialer's requests in between pages: a page is a few milliseconds of this thread.
    await turns.pause();
  }
  return leads.finish(
    { importId: source.id, campaignId: source.campaignId, campaignName: source.campaignName, importedAt: source.startedAt, activatedAt: source.activatedAt, defaultAudioPath: source.defaultAudio },
    audio,
  );
}

async function loadAudioIndex(deps: Pick<CampaignDeps, "client" | "audioStoragePath">, importId: number, importedAt: number): Promise<Map<string, ServedAudioFile>> {
  const directory = importAudioDirectory(deps.audioStoragePath, importId);
  const files = new Map<string, ServedAudioFile>();
  for (const record of await readAudioFiles(deps.client, importId)) {
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
export async function loadServedCampaigns(deps: Pick<CampaignDeps, "client" | "audioStoragePath">): Promise<Omit<ServedCampaigns, "generation">> {
  const deployed = await findDeployedImports(deps.client);
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
 * `edge rollback`) switches the campaign: a cheap signature query each interval, a reload on change.
 */
export class CampaignDeployment {
  #signature: string | null = null;
  #reloading: Promise<void> | null = null;

  constructor(private readonly deps: CampaignDeps) {}

  get served(): ServedCampaignsHolder {
    return this.deps.served;
  }

  async load(): Promise<void> {
    // Read before loading: a switch that lands meanwhile changes the signature and is loaded next tick.
    const signature = await readDeploymentSignature(this.deps.client);
    const next = await loadServedCampaigns(this.deps);
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
    const signature = await readDeploymentSignature(this.deps.client);
    if (signature === this.#signature) return false;
    this.#reloading = this.load().finally(() => (this.#reloading = null));
    await this.#reloading;
    return true;
  }

  startWatching(signal: AbortSignal, intervalMs = 1000): BackgroundLoop {
    return startBackgroundLoop({
      name: "campaign-watcher",
      intervalMs,
      clock: this.deps.clock,
      logger: this.deps.logger,
      signal,
      tick: async () => {
        await this.reloadIfChanged();
      },
    });
  }

  /**
   * Switches the dialer to a staged import: a serving process builds its snapshot first, then the
   * database switches in one transaction, then the snapshot is swapped in with one assignment.
   */
  async deployStagedImport(options: { importId: number; leaseOwner: string; report: (previousImportId: number | null) => string }): Promise<void> {
    const now = this.deps.clock.now();
    let snapshot: CampaignSnapshot | null = null;
    if (this.deps.serving) {
      const staged = await findImportSource(this.deps.client, options.importId);
      if (!staged) throw new Error(`import ${options.importId} does not exist`);
      snapshot = await loadCampaignSnapshot(this.deps, { ...staged, activatedAt: now });
    }
    const switched = await activateImport(this.deps.client, { importId: options.importId, leaseOwner: options.leaseOwner, now, report: options.report });
    if (snapshot) {
      const before = this.deps.served.current();
      const audioByImport = new Map<number, ReadonlyMap<string, ServedAudioFile>>([[snapshot.importId, snapshot.audio]]);
      const previous = switched.previous;
      if (previous) audioByImport.set(previous.id, before.audioByImport.get(previous.id) ?? (await loadAudioIndex(this.deps, previous.id, previous.startedAt)));
      this.deps.onServedChange?.(this.deps.served.replace({ active: snapshot, audioByImport, previousImportId: previous?.id ?? null }));
    }
    this.#signature = switched.signature;
  }

  /** `edge rollback` and the dashboard's button: the previous campaign is served again. */
  async rollback(operator: string | null = null): Promise<{ activeImportId: number; previousImportId: number }> {
    const swapped = await swapActiveAndPrevious(this.deps.client, this.deps.clock.now(), operator);
    if (!swapped) throw conflict("campaign.no_previous", "there is no previous campaign to roll back to");
    if (this.deps.serving) await this.load();
    this.deps.logger.info("campaign rolled back", swapped);
    return swapped;
  }

  /** Removes the rows and files of imports nothing serves any more (retired, failed, interrupted). */
  async purgeUnservedImports(): Promise<number[]> {
    const purged: number[] = [];
    for (const importId of await findUnservedImportsWithData(this.deps.client)) {
      while ((await deleteImportRows(this.deps.client, importId, deleteBatchSize)) > 0) {
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
    const keep = await findImportsKeepingFiles(this.deps.client);
    for (const entry of entries) {
      if (!/^\d+$/.test(entry) || keep.has(Number(entry))) continue;
      await rm(join(this.deps.audioStoragePath, entry), { recursive: true, force: true });
      if (!purged.includes(Number(entry))) purged.push(Number(entry));
    }
    if (purged.length > 0) this.deps.logger.info("removed data of campaigns no longer served", { imports: purged });
    return purged;
  }
}
