import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { EdgeImportReport } from "../../shared/contracts/campaign-package-push.ts";
import { AppError, conflict, notFound } from "../../shared/http/app-error.ts";
import { askEdge, type EdgeTarget, edgeImportStatus, pushPackageFile } from "./edge-package-client.ts";
import type { StudioEdge, StudioEdgesRepository } from "./studio-edges.repository.ts";
import { exportStudioPackage, packageAudioBytes, readyCampaign, type StudioDeps } from "./studio.usecases.ts";

/**
 * Publishing a ready campaign straight to an edge: the package is streamed to a file beside the
 * core's data (memory stays flat), then streamed to the edge's machine import endpoint, and the
 * edge's import report is kept with the campaign and handed back.
 */
export interface PublishDeps extends StudioDeps {
  edges: StudioEdgesRepository;
  /** Packages wait here while they are sent. */
  publishDirectory: string;
  /** How long the edge's import may run before the core stops waiting (the import itself goes on). */
  importWaitMs?: number;
}

export interface StudioPublication {
  edgeId: number;
  status: EdgeImportReport["outcome"];
  report: EdgeImportReport;
}

const statusPollMs = 250;
const defaultImportWaitMs = 10 * 60_000;

export async function addStudioEdge(deps: Pick<PublishDeps, "edges" | "clock">, input: { name: string; url: string; apiKey: string }): Promise<StudioEdge> {
  const added = await deps.edges.insertEdge({ name: input.name, url: input.url, apiKey: input.apiKey, createdAt: deps.clock.now() });
  if (!added) throw conflict("studio.edge_exists", `an edge named "${input.name}" is registered already; remove it first or choose another name`);
  return added;
}

/** Its publications stay in the campaigns' history. */
export async function removeStudioEdge(deps: Pick<PublishDeps, "edges">, id: number): Promise<StudioEdge> {
  const removed = await deps.edges.deleteEdge(id);
  if (!removed) throw edgeNotFound(id);
  return removed;
}

export async function publishStudioCampaign(deps: PublishDeps, campaignId: string, edgeId: number): Promise<StudioPublication> {
  const campaign = await readyCampaign(deps, campaignId);
  const edge = await deps.edges.findEdge(edgeId);
  if (!edge) throw edgeNotFound(edgeId);
  const target: EdgeTarget = { name: edge.name, url: edge.url, apiKey: edge.apiKey };
  // The key and the edge's size limit are checked before the package is written: its audio alone
  // tells a package that cannot fit, without writing gigabytes first.
  const accepts = await askEdge(target);
  const audioBytes = await packageAudioBytes(deps, campaign);
  if (audioBytes > accepts.max_package_bytes) {
    throw tooLargeForEdge(`the audio of campaign "${campaignId}" alone is ${audioBytes} bytes; edge "${edge.name}" accepts packages up to ${accepts.max_package_bytes} (its MAX_PACKAGE_BYTES)`);
  }
  await mkdir(deps.publishDirectory, { recursive: true });
  const path = join(deps.publishDirectory, `${campaignId}-${randomUUID()}.zip`);
  try {
    const written = await exportStudioPackage(deps, campaignId, path);
    if (written.bytes > accepts.max_package_bytes) {
      throw tooLargeForEdge(`the package of campaign "${campaignId}" is ${written.bytes} bytes; edge "${edge.name}" accepts up to ${accepts.max_package_bytes} (its MAX_PACKAGE_BYTES)`);
    }
    const importId = await pushPackageFile(target, { path, fileName: `${campaignId}.zip` });
    const report = await awaitImportReport(deps, target, importId);
    await deps.edges.insertPublication({
      campaignId,
      edgeId: edge.id,
      edgeName: edge.name,
      edgeImportId: importId,
      status: report.outcome,
      reportJson: JSON.stringify(report),
      packageBytes: written.bytes,
      publishedAt: deps.clock.now(),
    });
    deps.logger.info("studio campaign published", { campaign_id: campaignId, edge: edge.name, edge_import_id: importId, outcome: report.outcome, bytes: written.bytes });
    return { edgeId: edge.id, status: report.outcome, report };
  } finally {
    await rm(path, { force: true });
  }
}

async function awaitImportReport(deps: PublishDeps, target: EdgeTarget, importId: number): Promise<EdgeImportReport> {
  const giveUpAt = deps.clock.now() + (deps.importWaitMs ?? defaultImportWaitMs);
  for (;;) {
    const status = await edgeImportStatus(target, importId);
    if (status.state !== "running" && status.report) return status.report;
    if (deps.clock.now() >= giveUpAt) {
      throw new AppError("studio.edge_import_timeout", 504, `edge "${target.name}" is still importing the package (its import ${importId}); its importer page shows how it ends`, { edge_import_id: importId });
    }
    await deps.clock.sleep(statusPollMs);
  }
}

function edgeNotFound(id: number): AppError {
  return notFound("studio.edge_not_found", `no edge ${id}; GET /api/v1/studio/edges lists the registered ones`);
}

function tooLargeForEdge(message: string): AppError {
  return new AppError("studio.package_too_large_for_edge", 422, message);
}
