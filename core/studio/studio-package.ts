import { open } from "node:fs/promises";
import type { CampaignPackageStream } from "../../shared/campaign-package/campaign-package-stream.ts";
import { csvLine, maxPackageWriterEntries } from "../../shared/campaign-package/campaign-package-writer.ts";
import { campaignPackagePaths, ulawSiblingPath } from "../../shared/contracts/campaign-package.ts";
import type { StudioLead } from "./studio-leads.ts";
import type { SynthesizedSpeech } from "./synthesis-cache.ts";

/**
 * A studio campaign as a campaign package (shared/contracts/campaign-package.ts): each distinct
 * clip once under audio/speech/, then leads.csv naming every lead's clip per slot in
 * `audio_<slot>` columns. Clips and leads are read as streams (the campaign's distinct clips from
 * the database, then its leads), none held in memory; audio is copied in pieces, so memory stays
 * flat whatever the campaign's size.
 */
export type StudioPackageClip = Pick<SynthesizedSpeech, "key" | "wavPath" | "ulawPath">;

export interface StudioPackageLead {
  lead: StudioLead;
  /** Slot → the lead's clip. */
  audio: Readonly<Record<string, StudioPackageClip>>;
}

export interface StudioPackageInput {
  campaign: { id: string; name: string; description?: string };
  /** The leads file's columns as uploaded (lead_id and phone_number among them). */
  columns: readonly string[];
  slots: readonly string[];
  /** Called once per pass; yields the leads in the same order each time. */
  leads: () => AsyncIterable<StudioPackageLead> | Iterable<StudioPackageLead>;
  /**
   * Each distinct clip the leads are spoken with, once. Without it the clips are gathered from a pass
   * over the leads, which remembers every key it has seen (fine for a small campaign, not for 100,000).
   */
  clips?: () => AsyncIterable<StudioPackageClip> | Iterable<StudioPackageClip>;
  ulaw: boolean;
  generator: { name: string; version: string };
  createdAt?: string;
}

const copyPieceBytes = 256 * 1024;
const csvFlushChars = 256 * 1024;

/** The package path of a clip: its synthesis key, so a shared line is one file for every lead. */
export function clipPackagePath(key: string): string {
  return `${campaignPackagePaths.audioDirectory}speech/${key}.wav`;
}

export async function writeStudioPackage(stream: CampaignPackageStream, input: StudioPackageInput): Promise<{ bytes: number; leads: number; clips: number }> {
  try {
    let clips = 0;
    const readBuffer = new Uint8Array(copyPieceBytes);
    for await (const clip of input.clips ? input.clips() : distinctClipsOf(input)) {
      clips++;
      await copyFileInto(stream, clipPackagePath(clip.key), clip.wavPath, readBuffer);
      if (input.ulaw) {
        if (!clip.ulawPath) throw new StudioPackageError("studio.audio_missing", `clip ${clip.key} has no µ-law sibling; generate the campaign's audio with µ-law before exporting`);
        await copyFileInto(stream, ulawSiblingPath(clipPackagePath(clip.key)), clip.ulawPath, readBuffer);
      }
    }
    const fieldColumns = input.columns.filter((column) => column !== "lead_id" && column !== "phone_number");
    const leadsFile = stream.openFile(campaignPackagePaths.leadsCsv, { compress: true });
    let chunk = csvLine(["lead_id", "phone_number", ...fieldColumns, ...input.slots.map((slot) => `audio_${slot}`)]);
    let leadCount = 0;
    for await (const { lead, audio } of input.leads()) {
      leadCount++;
      const clipPaths = input.slots.map((slot) => clipPackagePath(clipOfSlot(lead, audio, slot).key));
      chunk += csvLine([lead.leadId, lead.phoneNumber, ...fieldColumns.map((column) => lead.fields[column] ?? ""), ...clipPaths]);
      if (chunk.length >= csvFlushChars) {
        await leadsFile.push(chunk);
        chunk = "";
      }
    }
    if (leadCount === 0) throw new StudioPackageError("studio.no_leads", "the campaign has no leads to export");
    await leadsFile.push(chunk);
    await leadsFile.end();
    const { bytes } = await stream.finish({ campaign: input.campaign, leadCount, generator: input.generator, createdAt: input.createdAt });
    return { bytes, leads: leadCount, clips };
  } catch (error) {
    await stream.abort(error);
    throw error;
  }
}

/**
 * The files a campaign's package holds (its clips, their µ-law siblings, leads.csv), refused before
 * anything is written when they pass what a package may hold.
 */
export function checkPackageFileCount(campaignId: string, clips: number, ulaw: boolean): number {
  const files = clips * (ulaw ? 2 : 1) + 1;
  if (files > maxPackageWriterEntries) {
    throw new StudioPackageError(
      "studio.package_too_many_files",
      `campaign "${campaignId}" needs ${files} files in its package (${clips} distinct clips${ulaw ? " with their µ-law siblings" : ""} and leads.csv); a package holds at most ${maxPackageWriterEntries}: split the campaign${ulaw ? " or export it without µ-law" : ""}`,
    );
  }
  return files;
}

export class StudioPackageError extends Error {
  constructor(
    readonly code: "studio.audio_missing" | "studio.no_leads" | "studio.package_too_many_files",
    message: string,
  ) {
    super(message);
    this.name = "StudioPackageError";
  }
}

function clipOfSlot(lead: StudioLead, audio: StudioPackageLead["audio"], slot: string): StudioPackageClip {
  const clip = audio[slot];
  if (!clip) throw new StudioPackageError("studio.audio_missing", `lead ${lead.leadId} has no audio for slot ${slot}; generate it before exporting`);
  return clip;
}

/** The leads' distinct clips, each the first time a lead names it. */
async function* distinctClipsOf(input: StudioPackageInput): AsyncIterable<StudioPackageClip> {
  const seen = new Set<string>();
  for await (const { lead, audio } of input.leads()) {
    for (const slot of input.slots) {
      const clip = clipOfSlot(lead, audio, slot);
      if (seen.has(clip.key)) continue;
      seen.add(clip.key);
      yield clip;
    }
  }
}

/** Copies a file into the package in pieces read into `buffer`; each piece leaves as a copy the sink may keep. */
async function copyFileInto(stream: CampaignPackageStream, packagePath: string, filePath: string, buffer: Uint8Array): Promise<void> {
  const entry = stream.openFile(packagePath);
  const handle = await open(filePath, "r");
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      await entry.push(buffer.slice(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  await entry.end();
}
