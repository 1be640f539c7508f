import { ulawSiblingPath } from "../../shared/contracts/campaign-package.ts";
import type { LeadTable } from "./lead-table.ts";

export type { ServedLead } from "./lead-table.ts";

/**
 * The campaign the dialer is served from, held in memory as an immutable snapshot. An import or
 * a rollback builds a complete new snapshot and swaps it in with one assignment, so every request
 * sees either the old campaign or the new one, never a mix; the database is the durable copy.
 */

export interface ServedAudioFile {
  readonly importId: number;
  /** Package path, `audio/greeting/1001.wav`. */
  readonly path: string;
  readonly diskPath: string;
  readonly size: number;
  readonly sha256: string;
  /** Strong validator: the content hash, so equal bytes give equal tags across imports. */
  readonly etag: string;
  readonly contentType: string;
  readonly durationMs: number | null;
  /** When the file was imported (its Last-Modified). */
  readonly modifiedAt: number;
}

export interface CampaignSnapshot {
  readonly importId: number;
  readonly campaignId: string;
  readonly campaignName: string;
  readonly importedAt: number;
  readonly activatedAt: number;
  readonly audioSlots: readonly string[];
  /** Lookups by lead id, vendor code and phone number, and the operator search. */
  readonly leads: LeadTable;
  readonly audio: ReadonlyMap<string, ServedAudioFile>;
  /** The campaign's own fallback prompt (manifest `default_audio`). */
  readonly defaultAudio: ServedAudioFile | null;
  /** Its `.ulaw` sibling, when the package has one. */
  readonly defaultAudioUlaw: ServedAudioFile | null;
  readonly audioBytes: number;
  readonly audioDurationMs: number;
}

/** Everything the dialer can be answered from, swapped as one value. */
export interface ServedCampaigns {
  readonly active: CampaignSnapshot | null;
  /** Audio of the active and the previous import: calls that looked a lead up just before a switch still get their files. */
  readonly audioByImport: ReadonlyMap<number, ReadonlyMap<string, ServedAudioFile>>;
  readonly previousImportId: number | null;
  /** Bumped at every swap. */
  readonly generation: number;
}

export const noServedCampaigns: ServedCampaigns = { active: null, audioByImport: new Map(), previousImportId: null, generation: 0 };

export interface SnapshotSource {
  importId: number;
  campaignId: string;
  campaignName: string;
  importedAt: number;
  activatedAt: number;
  defaultAudioPath: string | null;
}

/** A snapshot around a lead table, however it was built (see lead-table.ts). */
export function campaignSnapshot(source: SnapshotSource, leads: LeadTable, audio: ReadonlyMap<string, ServedAudioFile>): CampaignSnapshot {
  const defaultAudio = source.defaultAudioPath ? (audio.get(source.defaultAudioPath) ?? null) : null;
  let audioBytes = 0;
  let audioDurationMs = 0;
  for (const file of audio.values()) {
    audioBytes += file.size;
    audioDurationMs += file.durationMs ?? 0;
  }
  return Object.freeze({
    importId: source.importId,
    campaignId: source.campaignId,
    campaignName: source.campaignName,
    importedAt: source.importedAt,
    activatedAt: source.activatedAt,
    audioSlots: Object.freeze([...leads.audioSlots]),
    leads,
    audio,
    defaultAudio,
    defaultAudioUlaw: defaultAudio ? (audio.get(ulawSiblingPath(defaultAudio.path)) ?? null) : null,
    audioBytes,
    audioDurationMs,
  });
}

/** The one mutable reference: readers take `current()` once per request and use only that value. */
export class ServedCampaignsHolder {
  #current: ServedCampaigns = noServedCampaigns;

  current(): ServedCampaigns {
    return this.#current;
  }

  replace(next: Omit<ServedCampaigns, "generation">): ServedCampaigns {
    this.#current = Object.freeze({ ...next, generation: this.#current.generation + 1 });
    return this.#current;
  }
}

export function audioContentType(path: string): string {
  return path.endsWith(".ulaw") ? "audio/basic" : "audio/wav";
}
