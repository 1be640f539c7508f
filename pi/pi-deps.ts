import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { MetricsRegistry } from "../shared/http/metrics.ts";
import { type Logger, silentLogger } from "../shared/log/logger.ts";
import type { Clock } from "../shared/runtime/clock.ts";
import type { PiConfig } from "./config.ts";
import { detectMicrophone, type MicrophoneDetection } from "./recorder/audio-device.ts";
import { type InputLevel, measureInputLevel } from "./recorder/input-level.ts";
import { type DiskSpace, readDiskSpace } from "./spool/spool-janitor.ts";
import { spoolLayout } from "./spool/spool-layout.ts";
import { createSpoolLock } from "./spool/spool-lock.ts";
import { createSpoolRepository } from "./spool/spool.repository.ts";
import type { SpoolDeps } from "./spool/spool.usecases.ts";
import { createUploader, type Uploader } from "./uploader/uploader.usecases.ts";

export type PiDatabase = LibSQLDatabase<Record<string, unknown>>;

/** Everything the recorder runs on, built once: `serve`, the commands and the test kits all start here. */
export interface PiDeps {
  config: PiConfig;
  clock: Clock;
  logger: Logger;
  metrics: MetricsRegistry;
  /** The spool's database rows and files, behind one lock. */
  spool: SpoolDeps;
  uploader: Uploader;
  detectMicrophone: () => Promise<MicrophoneDetection>;
  diskSpace: (path: string) => DiskSpace | null;
  /** The schedule's time zone; the system's local zone when absent. */
  timeZone: string | undefined;
  janitorIntervalMs: number;
  uploadPollMs: number;
}

/** What a caller may put in place of the real thing: the node's logger and metrics, and the machine's probes in tests. */
export interface PiDepsOptions {
  logger?: Logger;
  metrics?: MetricsRegistry;
  detectMicrophone?: () => Promise<MicrophoneDetection>;
  measureLevel?: (path: string) => Promise<InputLevel | null>;
  diskSpace?: (path: string) => DiskSpace | null;
  timeZone?: string;
  janitorIntervalMs?: number;
  uploadPollMs?: number;
}

/** Builds the recorder's parts without starting anything (no folder is created, no process spawned). */
export function buildPiDeps(config: PiConfig, database: PiDatabase, clock: Clock, options: PiDepsOptions = {}): PiDeps {
  const logger = options.logger ?? silentLogger;
  const spool: SpoolDeps = {
    repository: createSpoolRepository(database),
    layout: spoolLayout(config.spoolDir),
    lock: createSpoolLock(),
    clock,
    logger,
    measureLevel: options.measureLevel ?? measureInputLevel,
  };
  const uploader = createUploader({
    repository: spool.repository,
    layout: spool.layout,
    lock: spool.lock,
    clock,
    logger: logger.child({ component: "uploader" }),
    settings: {
      ingestBaseUrl: config.ingestBaseUrl,
      ingestToken: config.ingestToken,
      pointId: config.pointId,
      registerId: config.registerId,
      deviceId: config.deviceId,
      sampleRate: config.sampleRate,
      deviceRejectionRetryMs: config.retryMaxS * 1000,
    },
  });
  return {
    config,
    clock,
    logger,
    metrics: options.metrics ?? new MetricsRegistry(),
    spool,
    uploader,
    detectMicrophone: options.detectMicrophone ?? detectMicrophone,
    diskSpace: options.diskSpace ?? readDiskSpace,
    timeZone: options.timeZone,
    janitorIntervalMs: options.janitorIntervalMs ?? 5 * 60_000,
    uploadPollMs: options.uploadPollMs ?? 1_000,
  };
}
