import { closeSync, openSync } from "node:fs";
import { loadConfig } from "../../shared/config/config-loader.ts";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { MetricsRegistry } from "../../shared/http/metrics.ts";
import { type Logger, silentLogger } from "../../shared/log/logger.ts";
import { type Clock, systemClock } from "../../shared/runtime/clock.ts";
import { writeAllSync } from "../../shared/runtime/files.ts";
import type { FetchHandler } from "../../shared/runtime/http-server.ts";
import { openTempDatabase, type TempDatabase } from "../../shared/testing/temp-database.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import type { CampaignPackageManifest } from "../../shared/contracts/campaign-package.ts";
import { CampaignPackageWriter } from "../../shared/campaign-package/campaign-package-writer.ts";
import { defaultSpeechCache, type GenerateOptions, type GeneratedPackage, generateCampaignPackage } from "../../scripts/campaign-package/generate-campaign-package.ts";
import { type EdgeConfigSpec, edgeConfigSpec } from "../config.ts";
import { migrations } from "../db/migrations.ts";
import * as schema from "../db/schema.ts";
import { createEdgeApp } from "../app.ts";
import { withDialerFastPath } from "../dialer/dialer.routes.ts";
import { buildEdgeDeps, type EdgeDeps, stopEdgeDeps } from "../edge-deps.ts";
import { importPackageFile } from "../importer/campaign-import.usecases.ts";
import { beginImport } from "../importer/import-lock.ts";
import type { ImportReport } from "../importer/import-report.ts";
import { addOperator } from "../../shared/accounts/accounts.usecases.ts";
import type { CallSyncService } from "../sync/sync.service.ts";

/** A complete edge (database, runtime, app) in a temp directory, as `serve` builds it, for tests. */
export interface EdgeTestEnvironment {
  dir: TempDir;
  database: TempDatabase<typeof schema>;
  config: ConfigOf<EdgeConfigSpec>;
  /** Everything `serve` runs on, built by the same buildEdgeDeps. */
  runtime: EdgeDeps;
  app: HttpApp;
  /** The server's handler: the dialer's fast path, then the app. */
  fetch: FetchHandler;
  metrics: MetricsRegistry;
  /** The vicidial_log sync, started as `serve` starts it, when asked for. */
  callSync: CallSyncService | null;
  dispose(): Promise<void>;
}

export async function createEdgeTestEnvironment(
  options: { env?: Record<string, string>; logger?: Logger; clock?: Clock; baseUrl?: string; withCallSync?: boolean } = {},
): Promise<EdgeTestEnvironment> {
  const dir = makeTempDir("salescontrol-edge-");
  const database = await openTempDatabase(migrations, schema);
  const config = loadConfig(edgeConfigSpec, { env: { DATA_DIR: dir.join("data"), AUDIO_CACHE_MB: "64", ...options.env }, dotenvPath: null }).values;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const metrics = new MetricsRegistry();
  const stop = new AbortController();
  const runtime = await buildEdgeDeps(config, database, clock, {
    logger,
    metrics,
    baseUrl: options.baseUrl ?? "http://127.0.0.1:8001",
    serve: { signal: stop.signal, callSync: options.withCallSync ?? false },
  });
  const app = createEdgeApp(runtime);
  return {
    dir,
    database,
    config,
    runtime,
    app,
    fetch: withDialerFastPath(runtime.dialer, app.fetch),
    metrics,
    callSync: runtime.callSync,
    async dispose() {
      stop.abort();
      await stopEdgeDeps(runtime);
      database.dispose();
      dir.remove();
    },
  };
}

/** Imports a package file the way `edge import` does. */
export async function importPackage(environment: EdgeTestEnvironment, path: string): Promise<ImportReport> {
  const run = await beginImport(environment.runtime.importer, { source: "cli", fileName: path.split("/").pop() ?? "package.zip", operator: "test" });
  return importPackageFile(environment.runtime.importer, run, path);
}

export const testOperator = { username: "olga", password: "correct horse battery" };

/** Adds the test operator and signs in; returns the Cookie header value. */
export async function signInAsOperator(environment: EdgeTestEnvironment): Promise<string> {
  await addOperator(environment.runtime.operators, testOperator.username, testOperator.password).catch(() => {});
  const response = await environment.app.request(
    "/operator/api/login",
    { method: "POST", headers: { "content-type": "application/json", "x-requested-with": "salescontrol" }, body: JSON.stringify(testOperator) },
    { remoteAddress: "192.0.2.10" },
  );
  if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  return /salescontrol_edge_session=[^;]+/.exec(response.headers.get("set-cookie") ?? "")![0];
}

/** Generates a package with real espeak-ng speech (phrases cached across runs). */
export function buildTestPackage(dir: TempDir, name: string, options: Omit<GenerateOptions, "outPath" | "speechCacheDirectory">): Promise<GeneratedPackage> {
  return generateCampaignPackage({ ...options, outPath: dir.join(name), speechCacheDirectory: defaultSpeechCache });
}

export const loopback = { remoteAddress: "127.0.0.1" };

export interface HandmadePackage {
  campaignId?: string;
  /** leads.csv (or leads.sql with `leadsFile`) text; lead_count is taken from `leadCount` or the rows. */
  leads: string;
  leadsFile?: "leads.csv" | "leads.sql";
  /** Write the leads file as Latin-1 instead of UTF-8 (as some spreadsheet exports do). */
  leadsEncoding?: "latin1";
  leadCount?: number;
  /** Package path → bytes; listed in the manifest with their real size and SHA-256. */
  audio?: Record<string, Uint8Array>;
  /** Entries added to the zip but left out of the manifest. */
  unlisted?: Record<string, Uint8Array>;
  /** Entries stored compressed (for zip-bomb packages). */
  compressed?: Record<string, Uint8Array>;
  defaultAudio?: string;
  alterManifest?: (manifest: CampaignPackageManifest) => unknown;
}

/** Writes a package by hand, for the broken and hostile ones the generator never makes. */
export function writeHandmadePackage(dir: TempDir, name: string, content: HandmadePackage): string {
  const path = dir.join(name);
  const fd = openSync(path, "w", 0o644);
  const writer = new CampaignPackageWriter((chunk) => writeAllSync(fd, chunk));
  for (const [entry, bytes] of Object.entries(content.audio ?? {})) writer.addFile(entry, bytes);
  for (const [entry, bytes] of Object.entries(content.compressed ?? {})) writer.addFile(entry, bytes, { compress: true });
  for (const [entry, bytes] of Object.entries(content.unlisted ?? {})) writer.addFile(entry, bytes, { unlisted: true });
  writer.addFile(content.leadsFile ?? "leads.csv", content.leadsEncoding ? new Uint8Array(Buffer.from(content.leads, content.leadsEncoding)) : content.leads, { compress: true });
  const rows = content.leads.split(/\r?\n/).filter((line) => line.trim() !== "").length - 1;
  writer.finish(
    { campaign: { id: content.campaignId ?? "HANDMADE", name: `Handmade ${content.campaignId ?? "HANDMADE"}` }, leadCount: content.leadCount ?? rows, defaultAudio: content.defaultAudio },
    content.alterManifest,
  );
  closeSync(fd);
  return path;
}
