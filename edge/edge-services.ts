import type { Client } from "@libsql/client";
import type { ConfigOf } from "../shared/config/config-spec.ts";
import type { HttpApp } from "../shared/http/create-http-app.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import type { FetchHandler } from "../shared/runtime/http-server.ts";
import { createEdgeApp } from "./app.ts";
import { type CampaignRuntime, createCampaignRuntime } from "./campaigns/campaign-runtime.ts";
import type { EdgeConfigSpec } from "./config.ts";
import { withDialerFastPath } from "./dialer/dialer.routes.ts";
import { type CallSyncService, startCallSyncService } from "./sync/sync.service.ts";
import { resolveVicidialSettings } from "./vicidial/vicidial-settings.ts";

export interface EdgeServicesOptions {
  config: ConfigOf<EdgeConfigSpec>;
  client: Client;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  /** Where the dialer reaches this edge (BASE_URL, or the listener's own address). */
  baseUrl: string;
  /** Stops the campaign watcher and the call sync. */
  signal: AbortSignal;
  /** Run the vicidial_log → core sync. */
  callSync: boolean;
}

export interface EdgeServices {
  campaigns: CampaignRuntime;
  callSync: CallSyncService | null;
  app: HttpApp;
  /** The server's handler: the dialer's fast path, then the app. */
  fetch: FetchHandler;
}

/** What `serve` runs behind its listener: the served campaign and its watcher, the call sync, the app. */
export async function startEdgeServices(options: EdgeServicesOptions): Promise<EdgeServices> {
  const { config, client, logger, metrics, clock, signal } = options;
  const campaigns = await createCampaignRuntime({ config, client, logger, metrics, clock, baseUrl: options.baseUrl });
  campaigns.watcher = campaigns.deployment.startWatching(signal);
  const callSync = options.callSync ? startCallSyncService({ config, settings: resolveVicidialSettings(config), client, logger, metrics, clock, signal }) : null;
  const app = createEdgeApp({ config, client, logger, metrics, clock, startedAt: clock.now(), campaigns, callSync: callSync ?? undefined });
  return { campaigns, callSync, app, fetch: withDialerFastPath(campaigns.dialer, app.fetch) };
}
