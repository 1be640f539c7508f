import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { HealthStatus } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { EdgeDatabase } from "../db/edge-database.ts";
import type { vicidialConfig } from "../vicidial/vicidial.config.ts";
import { describeDatabase, type VicidialSettings } from "../vicidial/vicidial-settings.ts";
import { createDidOptimizerClient } from "./did-optimizer.client.ts";
import type { callSyncConfig } from "./sync.config.ts";
import { createSyncRepository, type OutboxCounts } from "./sync.repository.ts";
import { DeliveryError, deliverOutbox, deliveryLogFields, releaseOrphanedLeases, runScheduledScan, type ScanSummary, scanLogFields, type SyncObserver, syncDepsFrom } from "./sync.usecases.ts";
import { connectVicidialLog, type VicidialLogReader } from "./vicidial-log.repository.ts";

export type CallSyncConfig = ConfigOf<typeof callSyncConfig & typeof vicidialConfig>;

export interface CallSyncHealth {
  status: HealthStatus;
  state: "running" | "disabled" | "not_configured" | "misconfigured";
  message?: string;
  database?: string;
  core?: string;
  outbox?: { pending: number; dead: number; oldestPendingSeconds: number };
  /** How far the core is behind vicidial_log: the older of the undelivered backlog and the last good read. */
  lagSeconds?: number;
  lastScan?: (ScanSummary & { at: string }) | null;
  lastScanAt?: string | null;
  lastDeliveryAt?: string | null;
  lastError?: { stage: "scan" | "delivery"; message: string; at: string } | null;
}

export interface CallSyncService {
  health(): Promise<CallSyncHealth>;
  /** Stops reading and sending; in-flight work finishes first. */
  stop(): Promise<void>;
}

export interface CallSyncServiceOptions {
  config: CallSyncConfig;
  settings: VicidialSettings;
  db: EdgeDatabase;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  signal: AbortSignal;
}

const deliveryPollMs = 1000;
const batchesPerTick = 20;

/** Metrics of the sync, registered once per node; the service feeds them. */
export function registerCallSyncMetrics(metrics: MetricsRegistry, read: () => { counts: OutboxCounts; lagSeconds: number; lastScanAt: number | null; lastDeliveryAt: number | null }) {
  metrics.gauge("call_sync_outbox_rows", "Call results waiting in the outbox, by state (dead rows were refused by the core).", () => {
    const { counts } = read();
    return [
      { labels: { state: "pending" }, value: counts.pending },
      { labels: { state: "dead" }, value: counts.dead },
    ];
  });
  metrics.gauge("call_sync_lag_seconds", "How far the core is behind vicidial_log.", () => read().lagSeconds);
  metrics.gauge("call_sync_last_success_timestamp_seconds", "Last successful read of vicidial_log and delivery to the core.", () => {
    const { lastScanAt, lastDeliveryAt } = read();
    return [
      { labels: { stage: "scan" }, value: lastScanAt === null ? 0 : lastScanAt / 1000 },
      { labels: { stage: "delivery" }, value: lastDeliveryAt === null ? 0 : lastDeliveryAt / 1000 },
    ];
  });
  const rowsRead = metrics.counter("call_sync_rows_read_total", "vicidial_log rows read.");
  const rowsQueued = metrics.counter("call_sync_rows_queued_total", "New or changed call results put in the outbox.");
  const delivered = metrics.counter("call_sync_rows_delivered_total", "Call results the core answered, by outcome.");
  const errors = metrics.counter("call_sync_errors_total", "Failed sync attempts, by stage.");
  const queries = metrics.histogram("call_sync_query_seconds", "Duration of each vicidial_log query: the longest it can have held the MyISAM table.", [
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1,
  ]);
  const observer: SyncObserver = {
    query: (durationMs) => queries.observe(durationMs / 1000),
    rowsRead: (count) => rowsRead.inc({}, count),
    rowsQueued: (count) => rowsQueued.inc({}, count),
    delivered: (outcome, count) => delivered.inc({ outcome }, count),
  };
  return { observer, errors };
}

/**
 * The call-result sync inside `edge serve`: a loop that reads vicidial_log every interval and
 * queues what changed, and a loop that empties the outbox into the core, each backing off on its
 * own while its side (the VICIdial database, the core) is unreachable.
 */
export function startCallSyncService(options: CallSyncServiceOptions): CallSyncService {
  const { config, settings, clock, logger } = options;
  const repository = createSyncRepository(options.db);
  let counts: OutboxCounts = { pending: 0, dead: 0, oldestPendingQueuedAt: null };
  let lastScan: (ScanSummary & { at: number }) | null = null;
  let lastScanAt: number | null = null;
  let lastDeliveryAt: number | null = null;
  let lastError: { stage: "scan" | "delivery"; message: string; at: number } | null = null;
  const startedAt = clock.now();
  const lagSeconds = () => {
    const now = clock.now();
    const backlog = counts.oldestPendingQueuedAt === null ? 0 : now - counts.oldestPendingQueuedAt;
    const unread = now - (lastScanAt ?? startedAt);
    return Math.max(0, Math.round(Math.max(backlog, unread - config.callSyncIntervalSeconds * 1000) / 1000));
  };
  const { observer, errors } = registerCallSyncMetrics(options.metrics, () => ({ counts, lagSeconds: lagSeconds(), lastScanAt, lastDeliveryAt }));

  const idle = (state: CallSyncHealth["state"], message?: string): CallSyncService => ({
    async health() {
      return { status: state === "misconfigured" ? "degraded" : "ok", state, ...(message ? { message } : {}) };
    },
    async stop() {},
  });
  if (!config.callSyncEnabled) return idle("disabled", "CALL_SYNC_ENABLED is false");
  const core = createDidOptimizerClient(settings.api);
  if (!core) {
    logger.info("call-result sync is off: no API key (api_key in dids.conf or DID_OPTIMIZER_API_KEY)", { didsConf: settings.files.dids.path });
    return idle("not_configured", `no API key: set api_key in ${settings.files.dids.path} or DID_OPTIMIZER_API_KEY`);
  }
  if (settings.problems.length > 0) {
    logger.error("call-result sync cannot start", { problems: settings.problems });
    return idle("misconfigured", settings.problems.join("; "));
  }

  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  const deps = syncDepsFrom(config, { repository, clock, observer });
  const database = settings.database;
  let reader: VicidialLogReader | null = null;
  const refreshCounts = async () => {
    counts = await repository.counts();
  };
  const retryBackoff = { initialMs: Math.min(1000, config.callSyncIntervalSeconds * 1000), maxMs: config.callSyncRetryMaxSeconds * 1000 };

  const scanLoop: BackgroundLoop = startBackgroundLoop({
    name: "call-sync-scan",
    intervalMs: config.callSyncIntervalSeconds * 1000,
    clock,
    logger,
    signal,
    backoff: retryBackoff,
    tick: async () => {
      try {
        reader ??= await connectVicidialLog(database);
        const summary = await runScheduledScan(deps, reader, signal);
        lastScanAt = clock.now();
        lastScan = { ...summary, at: lastScanAt };
        await refreshCounts();
        logger.info("call sync scan", scanLogFields(summary, counts.pending));
      } catch (error) {
        await reader?.close();
        reader = null;
        // Stopping mid-read is not a failure: the next start reads the same window again.
        if (signal.aborted) return;
        errors.inc({ stage: "scan" });
        lastError = { stage: "scan", message: (error as Error).message, at: clock.now() };
        throw error;
      }
    },
  });

  let orphansReleased = false;
  const deliveryLoop: BackgroundLoop = startBackgroundLoop({
    name: "call-sync-delivery",
    intervalMs: Math.min(deliveryPollMs, config.callSyncIntervalSeconds * 1000),
    clock,
    logger,
    signal,
    backoff: retryBackoff,
    tick: async () => {
      if (!orphansReleased) {
        const released = await releaseOrphanedLeases(repository);
        if (released > 0) logger.info("released call results claimed by a sender that stopped", { rows: released });
        orphansReleased = true;
      }
      try {
        const summary = await deliverOutbox(deps, core, { maxBatches: batchesPerTick, signal });
        lastDeliveryAt = clock.now();
        if (summary.sent > 0) {
          logger.info("call results sent", deliveryLogFields(summary));
        }
        await refreshCounts();
        return summary.batches >= batchesPerTick ? "busy" : "idle";
      } catch (error) {
        if (signal.aborted) return "idle";
        errors.inc({ stage: "delivery" });
        lastError = { stage: "delivery", message: (error as Error).message, at: clock.now() };
        if (error instanceof DeliveryError && error.summary.sent > 0) logger.info("call results sent before the core stopped answering", deliveryLogFields(error.summary));
        await refreshCounts().catch(() => {});
        throw error;
      }
    },
  });

  return {
    async health() {
      await refreshCounts().catch(() => {});
      const scanState = scanLoop.state();
      const deliveryState = deliveryLoop.state();
      const lag = lagSeconds();
      const failing = scanState.consecutiveFailures > 0 || deliveryState.consecutiveFailures > 0;
      const behind = lag > Math.max(600, config.callSyncIntervalSeconds * 10);
      return {
        status: failing || behind || counts.dead > 0 ? "degraded" : "ok",
        state: "running",
        database: describeDatabase(database),
        core: settings.api.baseUrl,
        outbox: {
          pending: counts.pending,
          dead: counts.dead,
          oldestPendingSeconds: counts.oldestPendingQueuedAt === null ? 0 : Math.round((clock.now() - counts.oldestPendingQueuedAt) / 1000),
        },
        lagSeconds: lag,
        lastScan: lastScan ? { ...lastScan, at: new Date(lastScan.at).toISOString() } : null,
        lastScanAt: isoTime(lastScanAt),
        lastDeliveryAt: isoTime(lastDeliveryAt),
        lastError: lastError ? { ...lastError, at: new Date(lastError.at).toISOString() } : null,
      };
    },
    async stop() {
      stopping.abort();
      await Promise.all([scanLoop.stopped, deliveryLoop.stopped]);
      await reader?.close();
      reader = null;
    },
  };
}

