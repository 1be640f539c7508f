import type { ConfigOf } from "../shared/config/config-spec.ts";
import type { NodeDatabase } from "../shared/db/open-database.ts";
import type { MetricsRegistry } from "../shared/http/metrics.ts";
import type { Logger } from "../shared/log/logger.ts";
import type { BackgroundLoop, LoopState } from "../shared/runtime/background-loop.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import { type AnalyticsDeps, createAnalyticsDeps } from "./analytics/analytics.usecases.ts";
import type { CoreConfigSpec } from "./config.ts";
import { type CampaignSocketHost, createCampaignSocket } from "./campaign-socket/campaign-socket.ts";
import type { CoreDatabase } from "./db/core-database.ts";
import { createDialerDeps } from "./dialer/dialer-deps.ts";
import type { DialerDeps } from "./dialer/dialer.usecases.ts";
import { type DidPools, createDidPools } from "./dids/did-pools.ts";
import { createDidsRepository } from "./dids/dids.repository.ts";
import { type AudioStorage, createAudioStorage } from "./ingest/audio-retention.ts";
import { type ChunkStorage, createChunkStorage } from "./ingest/chunk-storage.ts";
import { type AnalysisSettings, loadAnalysisSettingsOrRefuse } from "./pipeline/analysis/analysis-settings.ts";
import { createRooms } from "./rooms/rooms-deps.ts";
import type { RoomEngine } from "./rooms/room-engine.ts";
import type { PipelineStages } from "./pipeline/pipeline-stage.ts";
import { pipelineStages } from "./pipeline/pipeline-stages.ts";

/** The background loops running in this process, for /health. */
export interface RunningLoops {
  add(...loops: BackgroundLoop[]): void;
  states(): LoopState[];
}

/** Everything the core runs on: built once by buildCoreDeps, passed down as it is. */
export interface CoreDeps {
  config: ConfigOf<CoreConfigSpec>;
  /** The core's one database handle; repositories are made from it (or from a transaction on it). */
  db: CoreDatabase;
  logger: Logger;
  metrics: MetricsRegistry;
  clock: Clock;
  startedAt: number;
  /** Where chunk audio lies (AUDIO_STORAGE_PATH). */
  storage: ChunkStorage;
  /** Retention and free-space reserve of the chunk audio. */
  audioStorage: AudioStorage;
  /** Categories, rubric and prompts of the upsell analysis, loaded once at start. */
  analysisSettings: AnalysisSettings;
  /** The pipeline's stages: loops, internal API, `core worker`, /health and /metrics read this list. */
  stages: PipelineStages;
  /** The dashboard's figures: one instance, so the background refresh and requests share their catch-up. */
  analytics: AnalyticsDeps;
  /** Each tenant's DIDs, statistics and daily usage, kept in memory between refreshes. */
  didPools: DidPools;
  /** DID selection draws from this (tests pass a seeded one). */
  random: () => number;
  loops: RunningLoops;
  /** `/ws/{campaign_id}`: the one socket per campaign that listening rooms and the dialer publish on. */
  campaignSocket: CampaignSocketHost;
  /** The campaigns' listening rooms: their queues and timelines live here, their events go out on the campaign socket. */
  rooms: RoomEngine;
  /** The Twilio dialer; null until Twilio is configured. */
  dialer: DialerDeps | null;
}

export interface CoreDepsOptions {
  logger: Logger;
  metrics: MetricsRegistry;
  random?: () => number;
  /** The standard list unless a test adds a stage. */
  stages?: PipelineStages;
}

/** The core's composition root: `serve`, `core worker` and the test kits all build their deps here. */
export function buildCoreDeps(config: ConfigOf<CoreConfigSpec>, database: Pick<NodeDatabase<any>, "db">, clock: Clock, options: CoreDepsOptions): CoreDeps {
  const db = database.db as unknown as CoreDatabase;
  const running: BackgroundLoop[] = [];
  const storage = createChunkStorage(config.audioStoragePath);
  const didPools = createDidPools({
    repository: createDidsRepository(db),
    clock,
    logger: options.logger,
    refreshMs: config.didPoolRefreshSeconds * 1000,
    statsWindowDays: config.didStatsWindowDays,
  });
  const random = options.random ?? Math.random;
  const campaignSocket = createCampaignSocket({ logger: options.logger, metrics: options.metrics, clock });
  const rooms = createRooms({ config, db, clock, logger: options.logger, metrics: options.metrics });
  rooms.attach(campaignSocket);
  const analysisSettings = loadAnalysisSettingsOrRefuse(config.analysisSettingsFile);
  return {
    config,
    db,
    logger: options.logger,
    metrics: options.metrics,
    clock,
    startedAt: clock.now(),
    storage,
    audioStorage: createAudioStorage({ db, clock, storage, settings: config, metrics: options.metrics }),
    analysisSettings,
    stages: options.stages ?? pipelineStages,
    analytics: createAnalyticsDeps({ db, timezone: config.dashboardTimezone, settings: analysisSettings }),
    didPools,
    random,
    loops: {
      add: (...loops) => void running.push(...loops),
      states: () => running.map((loop) => loop.state()),
    },
    campaignSocket,
    rooms,
    dialer: createDialerDeps({ config, db, clock, logger: options.logger, didPools, random, publish: (event) => void campaignSocket.publish(event.campaign_id, event) }),
  };
}
