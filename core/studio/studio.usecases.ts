import { randomUUID } from "node:crypto";
import { CampaignPackageStream, packageDownloadStream, packageFileSink } from "../../shared/campaign-package/campaign-package-stream.ts";
import { conflict, notFound, unprocessable } from "../../shared/http/app-error.ts";
import type { JobQueue } from "../../shared/jobs/job-queue.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { buildInfo } from "../../shared/runtime/build-info.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { readStudioLeads } from "./studio-leads.ts";
import { type StudioPackageLead, writeStudioPackage } from "./studio-package.ts";
import { checkScript, type StudioScript } from "./studio-script.ts";
import type { StudioCampaign, StudioProgress, StudioRepository } from "./studio.repository.ts";
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
  const generation = randomUUID();
  const queued = await deps.studio.startGeneration(id, deps.clock.now(), async (tx, lead) => {
    const payload = { campaign_id: id, language: campaign.language, voice: campaign.voice, script: campaign.script, rephrase: campaign.rephrase, ulaw: campaign.ulaw, lead };
    await deps.ttsQueue(tx).enqueue(deps.ttsQueueName, payload, { dedupeKey: `${generation}:${lead.leadId}` });
  });
  if (queued === 0) {
    await deps.studio.setScript(id, campaign.script, { rephrase: campaign.rephrase, ulaw: campaign.ulaw }, deps.clock.now());
    throw conflict("studio.no_leads", `campaign "${id}" has no leads; PUT /api/v1/studio/campaigns/${id}/leads first`);
  }
  return getStudioCampaign(deps, id);
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

export async function readyCampaign(deps: Pick<StudioDeps, "studio">, id: string): Promise<StudioCampaign> {
  const campaign = await campaignOrRefuse(deps, id);
  if (campaign.state !== "ready") throw conflict("studio.campaign_not_ready", `campaign "${id}" is ${campaign.state}; generate its audio until it is ready before exporting`);
  return campaign;
}

function packageInputOf(deps: StudioDeps, campaign: StudioCampaign) {
  return {
    campaign: { id: campaign.id, name: campaign.name },
    columns: campaign.columns,
    slots: Object.keys(campaign.script),
    leads: () => packageLeadsOf(deps, campaign),
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
