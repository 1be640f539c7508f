import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { CampaignPackageStream, packageDownloadStream, packageFileSink } from "../../shared/campaign-package/campaign-package-stream.ts";
import { conflict, notFound, unprocessable } from "../../shared/http/app-error.ts";
import type { StudioLead } from "./studio-leads.ts";
import type { JobQueue } from "../../shared/jobs/job-queue.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { buildInfo } from "../../shared/runtime/build-info.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { readStudioLeads } from "./studio-leads.ts";
import { checkPackageFileCount, type StudioPackageClip, StudioPackageError, type StudioPackageLead, writeStudioPackage } from "./studio-package.ts";
import { checkScript, placeholdersOf, scriptLimits, type StudioScript } from "./studio-script.ts";
import type { LeadTexts, StudioCampaign, StudioLeadReview, StudioProgress, StudioRepository } from "./studio.repository.ts";
import { clipFilesOf } from "./synthesis-cache.ts";

export interface StudioDeps {
  studio: StudioRepository;
  clock: Clock;
  logger: Logger;
  /** The speech synthesis stage's queue, on the database or a transaction on it. */
  ttsQueue: (db: CoreDatabase) => JobQueue;
  ttsQueueName: string;
  /** Where the synthesis cache keeps its clips. */
  speechDirectory: string;
}

export interface StudioCampaignView {
  campaign: StudioCampaign;
  leads: number;
  progress: StudioProgress;
}

const leadsPerPage = 500;

async function campaignOrRefuse(deps: Pick<StudioDeps, "studio">, id: string): Promise<StudioCampaign> {
  const campaign = await deps.studio.findCampaign(id);
  if (!campaign) throw notFound("studio.campaign_not_found", `no studio campaign "${id}"; create it with POST /api/v1/studio/campaigns`);
  return campaign;
}

function refuseWhileGenerating(campaign: StudioCampaign): void {
  if (campaign.state === "generating") throw conflict("studio.campaign_generating", `campaign "${campaign.id}" is generating its audio; wait until it is ready or failed`);
}

export async function createStudioCampaign(deps: StudioDeps, input: { id: string; name: string; language: "ru" | "en"; voice?: string | undefined; ulaw?: boolean | undefined }): Promise<StudioCampaign> {
  const created = await deps.studio.createCampaign({ id: input.id, name: input.name, language: input.language, voice: input.voice ?? null, ulaw: input.ulaw ?? false }, deps.clock.now());
  if (!created) throw conflict("studio.campaign_exists", `a studio campaign "${input.id}" exists already; choose another id`);
  return campaignOrRefuse(deps, input.id);
}

/** All or nothing: one bad row and the campaign keeps the leads it had. */
export async function uploadStudioLeads(deps: StudioDeps, id: string, csv: ReadableStream<Uint8Array> | Uint8Array): Promise<{ leads: number; columns: string[] }> {
  refuseWhileGenerating(await campaignOrRefuse(deps, id));
  const read = await readStudioLeads(csv);
  if (!read.ok) throw unprocessable("studio.leads_invalid", `${read.problemCount} problem(s) in the leads file; nothing was imported. Fix the rows named and upload it again`, { problems: read.problems, problem_count: read.problemCount });
  await deps.studio.replaceLeads(id, read.columns, read.leads, deps.clock.now());
  return { leads: read.leads.length, columns: read.columns };
}

/** A new script (or new generation settings) sends the campaign back to draft: its audio must be made again. */
export async function setStudioScript(deps: StudioDeps, id: string, input: { slots: StudioScript; rephrase: boolean; ulaw?: boolean | undefined }): Promise<StudioCampaign> {
  const campaign = await campaignOrRefuse(deps, id);
  refuseWhileGenerating(campaign);
  const problems = checkScript(input.slots, campaign.columns.length > 0 ? campaign.columns : undefined);
  if (problems.length > 0) throw unprocessable("studio.script_invalid", `the script has ${problems.length} problem(s): ${problems[0]!.message}`, { problems });
  await deps.studio.setScript(id, input.slots, { rephrase: input.rephrase, ulaw: input.ulaw ?? campaign.ulaw }, deps.clock.now());
  return campaignOrRefuse(deps, id);
}

/** Queues one speech synthesis job per lead; the campaign is `generating` until every lead is done or failed. */
export async function startStudioGeneration(deps: StudioDeps, id: string): Promise<StudioCampaignView> {
  const campaign = await campaignOrRefuse(deps, id);
  refuseWhileGenerating(campaign);
  if (Object.keys(campaign.script).length === 0) throw conflict("studio.no_script", `campaign "${id}" has no script; PUT /api/v1/studio/campaigns/${id}/script first`);
  const problems = checkScript(campaign.script, campaign.columns);
  if (problems.length > 0) throw conflict("studio.script_invalid", `the script no longer fits the leads: ${problems[0]!.message}; write the script again`, { problems });
  // A fresh key per generation: a campaign generated again queues its leads again.
  const queued = await deps.studio.startGeneration(id, deps.clock.now(), queueLeadJob(deps, campaign));
  if (queued === 0) {
    await deps.studio.setScript(id, campaign.script, { rephrase: campaign.rephrase, ulaw: campaign.ulaw }, deps.clock.now());
    throw conflict("studio.no_leads", `campaign "${id}" has no leads; PUT /api/v1/studio/campaigns/${id}/leads first`);
  }
  return getStudioCampaign(deps, id);
}

/** Queues one lead's speech synthesis job under a fresh key: a lead generated again is queued again. */
function queueLeadJob(deps: StudioDeps, campaign: StudioCampaign) {
  const generation = randomUUID();
  return async (tx: CoreDatabase, lead: StudioLead, texts: LeadTexts) => {
    const written = Object.fromEntries(Object.entries(texts).filter(([slot]) => Object.hasOwn(campaign.script, slot)));
    const payload = { campaign_id: campaign.id, language: campaign.language, voice: campaign.voice, script: campaign.script, rephrase: campaign.rephrase, ulaw: campaign.ulaw, lead, ...(Object.keys(written).length > 0 ? { texts: written } : {}) };
    await deps.ttsQueue(tx).enqueue(deps.ttsQueueName, payload, { dedupeKey: `${generation}:${lead.leadId}` });
  };
}

export async function listStudioCampaigns(deps: Pick<StudioDeps, "studio">): Promise<Array<{ campaign: StudioCampaign; leads: number }>> {
  return deps.studio.listCampaigns(1000);
}

/** A page of leads with their lines; the cursor is the last lead id of the page before. */
export async function reviewStudioLeads(deps: Pick<StudioDeps, "studio">, id: string, page: { after: number; limit: number }): Promise<{ leads: StudioLeadReview[]; nextCursor: string | null }> {
  await campaignOrRefuse(deps, id);
  const leads = await deps.studio.reviewPage(id, page.after, page.limit + 1);
  const more = leads.length > page.limit;
  const shown = more ? leads.slice(0, page.limit) : leads;
  return { leads: shown, nextCursor: more ? String(shown[shown.length - 1]!.lead.leadId) : null };
}

/** Where the clip that speaks one lead's slot lies. */
export async function studioLeadAudioPath(deps: Pick<StudioDeps, "studio" | "speechDirectory">, id: string, leadId: number, slot: string): Promise<string> {
  await leadOrRefuse(deps, id, leadId);
  const line = await deps.studio.findLine(id, leadId, slot);
  if (!line?.clipKey) throw notFound("studio.audio_not_found", `lead ${leadId} has no audio for slot "${slot}" yet; generate the campaign or regenerate the lead`);
  return clipFilesOf(deps.speechDirectory, line.clipKey).wavPath;
}

async function reviewOf(deps: Pick<StudioDeps, "studio">, id: string, leadId: number): Promise<StudioLeadReview> {
  return (await deps.studio.reviewPage(id, leadId - 1, 1))[0]!;
}

async function leadOrRefuse(deps: Pick<StudioDeps, "studio">, id: string, leadId: number): Promise<{ campaign: StudioCampaign; lead: StudioLead }> {
  const campaign = await campaignOrRefuse(deps, id);
  const lead = await deps.studio.findLead(id, leadId);
  if (!lead) throw notFound("studio.lead_not_found", `campaign "${id}" has no lead ${leadId}`);
  return { campaign, lead };
}

/** A lead may be generated again once the campaign has been generated and is not generating now. */
function refuseUnlessGenerated(campaign: StudioCampaign): void {
  refuseWhileGenerating(campaign);
  if (campaign.state === "draft") throw conflict("studio.campaign_not_generated", `campaign "${campaign.id}" has not been generated yet; generate the whole campaign first`);
}

const printable = /^[^\u0000-\u001f\u007f]*$/;

/**
 * Words written for one lead (slot → text, null to go back to the script's), then the lead is
 * generated again with them through the tts stage.
 */
export async function editStudioLeadTexts(deps: StudioDeps, id: string, leadId: number, edits: Readonly<Record<string, string | null>>): Promise<StudioLeadReview> {
  const { campaign } = await leadOrRefuse(deps, id, leadId);
  refuseUnlessGenerated(campaign);
  const problems: Array<{ slot: string; message: string }> = [];
  for (const [slot, text] of Object.entries(edits)) {
    if (!Object.hasOwn(campaign.script, slot)) problems.push({ slot, message: `the script has no slot "${slot}" (it has ${Object.keys(campaign.script).join(", ")})` });
    else if (text === null) continue;
    else if (text.trim() === "") problems.push({ slot, message: `slot ${slot}: the text is empty; write the words or go back to the script's` });
    else if (text.length > scriptLimits.maxTextLength) problems.push({ slot, message: `slot ${slot}: the text is ${text.length} characters long; at most ${scriptLimits.maxTextLength}` });
    else if (!printable.test(text)) problems.push({ slot, message: `slot ${slot}: the text holds control characters; write plain text` });
    else if (placeholdersOf(text).length > 0) problems.push({ slot, message: `slot ${slot}: {${placeholdersOf(text)[0]}} is left in the text; a lead's own words are spoken as written, so write the words themselves` });
  }
  if (Object.keys(edits).length === 0) problems.push({ slot: "", message: "no slot's text was given" });
  if (problems.length > 0) throw unprocessable("studio.texts_invalid", problems[0]!.message, { problems });
  const current = (await reviewOf(deps, id, leadId)).texts;
  const texts: LeadTexts = { ...current };
  for (const [slot, text] of Object.entries(edits)) {
    if (text === null) delete texts[slot];
    else texts[slot] = text.replace(/\s+/g, " ").trim();
  }
  await deps.studio.regenerateLead(id, leadId, texts, deps.clock.now(), queueLeadJob(deps, campaign));
  return reviewOf(deps, id, leadId);
}

/** One lead generated again (after a failure, or for a fresh rephrasing), durable through the tts stage. */
export async function regenerateStudioLead(deps: StudioDeps, id: string, leadId: number): Promise<StudioLeadReview> {
  const { campaign } = await leadOrRefuse(deps, id, leadId);
  refuseUnlessGenerated(campaign);
  await deps.studio.regenerateLead(id, leadId, null, deps.clock.now(), queueLeadJob(deps, campaign));
  return reviewOf(deps, id, leadId);
}

export async function getStudioCampaign(deps: Pick<StudioDeps, "studio">, id: string): Promise<StudioCampaignView> {
  const campaign = await campaignOrRefuse(deps, id);
  const progress = await deps.studio.progress(id);
  return { campaign, leads: progress.total, progress };
}

/** Every lead with its clips, a page at a time, in lead_id order (the package writer reads it twice). */
function clipOf(speechDirectory: string, key: string, ulaw: boolean): StudioPackageLead["audio"][string] {
  const files = clipFilesOf(speechDirectory, key);
  return { key, wavPath: files.wavPath, ulawPath: ulaw ? files.ulawPath : null };
}

async function* packageLeadsOf(deps: StudioDeps, campaign: StudioCampaign): AsyncIterable<StudioPackageLead> {
  let after = 0;
  for (;;) {
    const leads = await deps.studio.leadsPage(campaign.id, after, leadsPerPage);
    if (leads.length === 0) return;
    const lines = await deps.studio.linesOf(
      campaign.id,
      leads.map((lead) => lead.leadId),
    );
    for (const lead of leads) {
      const audio: StudioPackageLead["audio"] = Object.fromEntries(
        (lines.get(lead.leadId) ?? []).flatMap((line) => (line.clipKey ? [[line.slot, clipOf(deps.speechDirectory, line.clipKey, campaign.ulaw)]] : [])),
      );
      yield { lead, audio };
    }
    after = leads[leads.length - 1]!.leadId;
  }
}

const clipKeysPerPage = 5000;

async function* packageClipsOf(deps: StudioDeps, campaign: StudioCampaign): AsyncIterable<StudioPackageClip> {
  let after = "";
  for (;;) {
    const keys = await deps.studio.clipKeysPage(campaign.id, after, clipKeysPerPage);
    if (keys.length === 0) return;
    for (const key of keys) yield clipOf(deps.speechDirectory, key, campaign.ulaw);
    after = keys[keys.length - 1]!;
  }
}

/** The bytes of a campaign's distinct clips (and their µ-law siblings): what its package holds at least. */
export async function packageAudioBytes(deps: StudioDeps, campaign: StudioCampaign): Promise<number> {
  let bytes = 0;
  for await (const clip of packageClipsOf(deps, campaign)) {
    bytes += (await stat(clip.wavPath)).size;
    if (clip.ulawPath) bytes += (await stat(clip.ulawPath)).size;
  }
  return bytes;
}

export async function readyCampaign(deps: Pick<StudioDeps, "studio">, id: string): Promise<StudioCampaign> {
  const campaign = await campaignOrRefuse(deps, id);
  if (campaign.state !== "ready") throw conflict("studio.campaign_not_ready", `campaign "${id}" is ${campaign.state}; generate its audio until it is ready before exporting`);
  // Refused here, before a byte is written, not when the writer reaches the limit.
  try {
    checkPackageFileCount(id, await deps.studio.distinctClipCount(id), campaign.ulaw);
  } catch (error) {
    if (error instanceof StudioPackageError) throw unprocessable(error.code, error.message);
    throw error;
  }
  return campaign;
}

function packageInputOf(deps: StudioDeps, campaign: StudioCampaign) {
  return {
    campaign: { id: campaign.id, name: campaign.name },
    columns: campaign.columns,
    slots: Object.keys(campaign.script),
    leads: () => packageLeadsOf(deps, campaign),
    clips: () => packageClipsOf(deps, campaign),
    ulaw: campaign.ulaw,
    generator: { name: "salescontrol-core-studio", version: buildInfo.version },
  };
}

/** The package as a download body; a failure after the first byte ends the body with an error, never a truncated zip that looks whole. */
export async function streamStudioPackage(deps: StudioDeps, id: string): Promise<{ campaign: StudioCampaign; body: ReadableStream<Uint8Array> }> {
  const campaign = await readyCampaign(deps, id);
  const download = packageDownloadStream();
  writeStudioPackage(new CampaignPackageStream(download.sink), packageInputOf(deps, campaign)).catch((error) => {
    deps.logger.warn("studio package download ended early", { campaign_id: id, error: (error as Error).message });
  });
  return { campaign, body: download.body };
}

/** Writes the package to a file atomically (`campaign export <id> <file>`). */
export async function exportStudioPackage(deps: StudioDeps, id: string, path: string): Promise<{ bytes: number; leads: number; clips: number }> {
  const campaign = await readyCampaign(deps, id);
  return writeStudioPackage(new CampaignPackageStream(packageFileSink(path)), packageInputOf(deps, campaign));
}
