import { join, resolve } from "node:path";
import type { Client } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import type { AccountsDeps } from "../../shared/accounts/accounts.usecases.ts";
import { campaignPackageLimits } from "../../shared/contracts/campaign-package.ts";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { BackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { EdgeConfigSpec } from "../config.ts";
import { AudioStore } from "../dialer/audio-store.ts";
import { type DefaultPrompt, loadDefaultPrompt } from "../dialer/default-prompt.ts";
import { type AddressMatcher, createAddressMatcher } from "../../shared/http/address-list.ts";
import { createDialerApi, type DialerApi } from "../dialer/dialer.routes.ts";
import { BackgroundImports, createLeaseOwner, type ImporterDeps, recoverInterruptedImports } from "../importer/campaign-import.usecases.ts";
import { createEdgeAccounts } from "../operators/operator-accounts.ts";
import { ServedCampaignsHolder } from "./campaign-snapshot.ts";
import { CampaignDeployment, importAudioDirectory } from "./campaigns.usecases.ts";

/** Everything behind campaign packages, the dialer API and the operator pages, built once per process. */
export interface CampaignRuntime {
  deployment: CampaignDeployment;
  dialer: DialerApi;
  importer: ImporterDeps;
  background: BackgroundImports;
  operators: AccountsDeps;
  audioStore: AudioStore;
  defaultPrompt: DefaultPrompt;
  /** Proxies whose forwarding headers name the client (TRUSTED_PROXIES). */
  trustedProxies: AddressMatcher;
  /** The watcher that picks up switches made by other processes (`edge import`, `edge rollback`). */
  watcher: BackgroundLoop | null;
}

export interface CampaignRuntimeOptions {
  config: ConfigOf<EdgeConfigSpec>;
  client: Client;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  /** Where the dialer reaches this edge (BASE_URL, or the listener's own address). */
  baseUrl: string;
  /** Answer the dialer: load the deployed campaign into memory (commands that only switch campaigns do not). */
  serving?: boolean;
}

/** Builds the runtime and, when serving, loads the deployed campaign from the database. */
export async function createCampaignRuntime(options: CampaignRuntimeOptions): Promise<CampaignRuntime> {
  const { client, logger, metrics, clock } = options;
  // The dialer hands these paths to Asterisk, which resolves a relative one against its own sounds folder.
  const config = { ...options.config, audioStoragePath: resolve(options.config.audioStoragePath) };
  const serving = options.serving ?? true;
  const served = new ServedCampaignsHolder();
  const audioStore = new AudioStore(config.audioCacheMegabytes * 1024 * 1024);
  const deployment = new CampaignDeployment({
    client,
    clock,
    logger,
    audioStoragePath: config.audioStoragePath,
    served,
    serving,
    onServedChange: (current) => {
      const kept = [...current.audioByImport.keys()].map((importId) => `${importAudioDirectory(config.audioStoragePath, importId)}/`);
      audioStore.retainOnly((path) => kept.some((prefix) => path.startsWith(prefix)));
    },
  });
  const defaultPrompt = await loadDefaultPrompt(config.defaultPromptPath);
  const importer: ImporterDeps = {
    client,
    clock,
    logger,
    audioStoragePath: config.audioStoragePath,
    uploadDirectory: join(config.dataDir, "uploads"),
    deployment,
    leaseOwner: createLeaseOwner(),
    limits: {
      maxPackageBytes: config.maxPackageBytes,
      maxTotalUncompressedBytes: config.maxPackageUncompressedBytes,
      maxEntries: campaignPackageLimits.maxEntries,
      maxCompressionRatio: campaignPackageLimits.maxCompressionRatio,
      compressionRatioFloorBytes: campaignPackageLimits.compressionRatioFloorBytes,
    },
  };
  const trustedProxies = createAddressMatcher(config.trustedProxies ?? "");
  const dialer = createDialerApi({
    served,
    audioStore,
    defaultPrompt,
    baseUrl: options.baseUrl,
    allowFrom: createAddressMatcher(config.dialerAllowFrom),
    trustedProxies,
    metrics,
    logger,
  });
  const operators = createEdgeAccounts({ config, db: drizzle(client), clock, logger, metrics });
  await recoverInterruptedImports(importer);
  if (serving) await deployment.load();
  return { deployment, dialer, importer, background: new BackgroundImports(), operators, audioStore, defaultPrompt, trustedProxies, watcher: null };
}
