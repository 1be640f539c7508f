import { join, resolve } from "node:path";
import type { AccountsDeps } from "../shared/accounts/accounts.usecases.ts";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import { campaignPackageLimits } from "../shared/contracts/campaign-package.ts";
import { databaseFilePath, type NodeDatabase } from "../shared/db/open-database.ts";
import { type AddressMatcher, createAddressMatcher } from "../shared/http/address-list.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import { createLeaseOwner } from "../shared/jobs/lease.ts";
import type { Logger } from "../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../shared/runtime/background-loop.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import { ServedCampaignsHolder } from "./campaigns/campaign-snapshot.ts";
import { CampaignDeployment, importAudioDirectory } from "./campaigns/campaigns.usecases.ts";
import type { EdgeConfigSpec } from "./config.ts";
import type * as schema from "./db/schema.ts";
import { AudioStore } from "./dialer/audio-store.ts";
import { type DefaultPrompt, loadDefaultPrompt } from "./dialer/default-prompt.ts";
import { createDialerApi, type DialerApi } from "./dialer/dialer.routes.ts";
import { BackgroundImports } from "./importer/background-imports.ts";
import type { ImporterDeps } from "./importer/campaign-import.usecases.ts";
import { clearAbandonedImports, recoverInterruptedImports } from "./importer/import-lock.ts";
import { createImportRepository } from "./importer/import.repository.ts";
import { readLeadTableAside } from "./importer/package-staging-helper.ts";
import { createMachineKeysRepository } from "./machine-keys/machine-keys.repository.ts";
import type { MachineKeysDeps } from "./machine-keys/machine-keys.usecases.ts";
import { createEdgeAccounts } from "./operators/operator-accounts.ts";
import { type CallSyncService, startCallSyncService } from "./sync/sync.service.ts";
import { resolveVicidialSettings } from "./vicidial/vicidial-settings.ts";

/** Everything the edge runs on, built in one place for `serve`, every command and every test kit. */
export interface EdgeDeps {
  config: ConfigOf<EdgeConfigSpec>;
  database: NodeDatabase<typeof schema>;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  startedAt: number;
  /** Where the dialer reaches this edge (BASE_URL, or the listener's own address). */
  baseUrl: string;
  deployment: CampaignDeployment;
  dialer: DialerApi;
  importer: ImporterDeps;
  background: BackgroundImports;
  operators: AccountsDeps;
  /** The API keys machines push campaign packages with. */
  machineKeys: MachineKeysDeps;
  audioStore: AudioStore;
  defaultPrompt: DefaultPrompt;
  /** Proxies whose forwarding headers name the client (TRUSTED_PROXIES). */
  trustedProxies: AddressMatcher;
  /** Serving only: picks up switches made by other processes and clears imports whose holder stopped. */
  watcher: BackgroundLoop | null;
  /** Serving with the sync: the vicidial_log → core sync; its state joins /health. */
  callSync: CallSyncService | null;
}

export interface EdgeDepsOptions {
  logger: Logger;
  metrics: MetricsRegistry;
  /** Where the dialer reaches this edge; default BASE_URL, else http://127.0.0.1:<PORT>. */
  baseUrl?: string;
  /**
   * `serve`: load the deployed campaign into memory, read DEFAULT_PROMPT_PATH, and run the loops
   * until `signal` aborts. Absent for a one-off command, which only reads and switches the database.
   */
  serve?: { signal: AbortSignal; callSync: boolean };
}

const watchIntervalMs = 1000;

export async function buildEdgeDeps(configured: ConfigOf<EdgeConfigSpec>, database: NodeDatabase<typeof schema>, clock: Clock, options: EdgeDepsOptions): Promise<EdgeDeps> {
  const { logger, metrics, serve } = options;
  // The dialer hands these paths to Asterisk, which resolves a relative one against its own sounds folder.
  const config = { ...configured, audioStoragePath: resolve(configured.audioStoragePath) };
  const served = new ServedCampaignsHolder();
  const audioStore = new AudioStore(config.audioCacheMegabytes * 1024 * 1024);
  const deployment = new CampaignDeployment({
    db: database.db,
    clock,
    logger,
    audioStoragePath: config.audioStoragePath,
    served,
    serving: serve !== undefined,
    onServedChange: (current) => {
      const kept = [...current.audioByImport.keys()].map((importId) => `${importAudioDirectory(config.audioStoragePath, importId)}/`);
      audioStore.retainOnly((path) => kept.some((prefix) => path.startsWith(prefix)));
    },
    // Called once the importer below exists: a serving edge reads a campaign's leads in a staging process.
    readLeadTableAside: serve ? (importId, expectedCount) => readLeadTableAside(importer, importId, expectedCount) : undefined,
  });
  // A command never answers the dialer: only `serve` reads (and so insists on) DEFAULT_PROMPT_PATH.
  const defaultPrompt = await loadDefaultPrompt(serve ? config.defaultPromptPath : undefined);
  const baseUrl = options.baseUrl ?? config.baseUrl ?? `http://127.0.0.1:${config.port}`;
  const importer: ImporterDeps = {
    imports: createImportRepository(database.db),
    clock,
    logger,
    audioStoragePath: config.audioStoragePath,
    uploadDirectory: join(config.dataDir, "uploads"),
    uploadStallMs: config.uploadStallSeconds * 1000,
    deployment,
    leaseOwner: createLeaseOwner(),
    limits: {
      maxPackageBytes: config.maxPackageBytes,
      maxTotalUncompressedBytes: config.maxPackageUncompressedBytes,
      maxEntries: campaignPackageLimits.maxEntries,
      maxCompressionRatio: campaignPackageLimits.maxCompressionRatio,
      compressionRatioFloorBytes: campaignPackageLimits.compressionRatioFloorBytes,
    },
    stagingDatabase: database.filePath
      ? { url: `file:${database.filePath}`, underLitestream: config.litestream }
      : databaseFilePath(config.databaseUrl) === null
        ? { url: config.databaseUrl, authToken: config.databaseAuthToken ?? undefined, underLitestream: false }
        : null,
  };
  const trustedProxies = createAddressMatcher(config.trustedProxies ?? "");
  const dialer = createDialerApi({ served, audioStore, defaultPrompt, baseUrl, allowFrom: createAddressMatcher(config.dialerAllowFrom), trustedProxies, metrics, logger });
  const operators = createEdgeAccounts({ config, db: database.db, clock, logger, metrics });
  let watcher: BackgroundLoop | null = null;
  let callSync: CallSyncService | null = null;
  if (serve) {
    await recoverInterruptedImports(importer);
    await deployment.load();
    watcher = startBackgroundLoop({
      name: "campaign-watcher",
      intervalMs: watchIntervalMs,
      clock,
      logger,
      signal: serve.signal,
      tick: async () => {
        await deployment.reloadIfChanged();
        await clearAbandonedImports(importer);
      },
    });
    if (serve.callSync) callSync = startCallSyncService({ config, settings: resolveVicidialSettings(config), db: database.db, logger, metrics, clock, signal: serve.signal });
  }
  return {
    config,
    database,
    logger,
    metrics,
    clock,
    startedAt: clock.now(),
    baseUrl,
    deployment,
    dialer,
    importer,
    background: new BackgroundImports(),
    operators,
    machineKeys: { keys: createMachineKeysRepository(database.db), clock },
    audioStore,
    defaultPrompt,
    trustedProxies,
    watcher,
    callSync,
  };
}

/** Interrupts background imports, then waits for the loops (their signal was aborted by the caller). */
export async function stopEdgeDeps(deps: EdgeDeps): Promise<void> {
  await deps.background.stop();
  await Promise.all([deps.watcher?.stopped, deps.callSync?.stop()]);
}
