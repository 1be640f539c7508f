import { ulawSiblingPath } from "../../shared/contracts/campaign-package.ts";

/**
 * The campaign the dialer is served from, held in memory as an immutable snapshot. An import or
 * a rollback builds a complete new snapshot and swaps it in with one assignment, so every request
 * sees either the old campaign or the new one, never a mix; the database is the durable copy.
 */

export interface ServedLead {
  readonly leadId: number;
  /** 1 = first lead of the package. */
  readonly rowNumber: number;
  readonly vendorLeadCode: string;
  /** Digits only. */
  readonly phoneNumber: string;
  /** The lead's other columns, in package order. */
  readonly fields: Readonly<Record<string, string>>;
  /** Audio slot → package path (`audio/…wav`); "" when the lead has no audio for that slot. */
  readonly audio: Readonly<Record<string, string>>;
}

/** A lead as the snapshot holds it: frozen in place (a copy would double what each lead allocates). */
export function servedLead(lead: ServedLead): ServedLead {
  Object.freeze(lead.fields);
  Object.freeze(lead.audio);
  return Object.freeze(lead);
}

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
  readonly leads: readonly ServedLead[];
  readonly byLeadId: ReadonlyMap<number, ServedLead>;
  readonly byVendorCode: ReadonlyMap<string, ServedLead>;
  /** Phone digits → leads with that number, in package order. */
  readonly byPhone: ReadonlyMap<string, readonly ServedLead[]>;
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

export function buildCampaignSnapshot(source: SnapshotSource, leads: ServedLead[], audio: ReadonlyMap<string, ServedAudioFile>): CampaignSnapshot {
  const builder = new CampaignSnapshotBuilder();
  for (const lead of leads) builder.add(lead);
  return builder.finish(source, audio);
}

/**
 * Indexes leads as they are read, so that building a 300,000-lead snapshot is many short steps the
 * caller can interleave with the dialer's requests, not one long one.
 */
export class CampaignSnapshotBuilder {
  readonly #leads: ServedLead[] = [];
  readonly #byLeadId = new Map<number, ServedLead>();
  readonly #byVendorCode = new Map<string, ServedLead>();
  readonly #byPhone = new Map<string, ServedLead[]>();
  readonly #slots = new Set<string>();

  add(lead: ServedLead): void {
    this.#leads.push(lead);
    this.#byLeadId.set(lead.leadId, lead);
    if (lead.vendorLeadCode !== "" && !this.#byVendorCode.has(lead.vendorLeadCode)) this.#byVendorCode.set(lead.vendorLeadCode, lead);
    const same = this.#byPhone.get(lead.phoneNumber);
    if (same) same.push(lead);
    else this.#byPhone.set(lead.phoneNumber, [lead]);
    for (const slot of Object.keys(lead.audio)) this.#slots.add(slot);
  }

  finish(source: SnapshotSource, audio: ReadonlyMap<string, ServedAudioFile>): CampaignSnapshot {
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
      audioSlots: Object.freeze([...this.#slots]),
      // Read-only by type, not frozen: freezing a 300,000-element array stalls the thread for a second or more.
      leads: this.#leads,
      byLeadId: this.#byLeadId,
      byVendorCode: this.#byVendorCode,
      byPhone: this.#byPhone,
      audio,
      defaultAudio,
      defaultAudioUlaw: defaultAudio ? (audio.get(ulawSiblingPath(defaultAudio.path)) ?? null) : null,
      audioBytes,
      audioDurationMs,
    });
  }
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
