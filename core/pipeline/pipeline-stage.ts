import type { z } from "zod";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { JobQueue } from "../../shared/jobs/job-queue.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { BackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "../config.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import type { ChunkStorage } from "../ingest/chunk-storage.ts";
import type { InternalApiClient } from "../internal/internal-api-client.ts";
import type { RemoteJobWorker } from "../internal/remote-job-worker.ts";
import type { AnalysisSettings } from "./analysis/analysis-settings.ts";

/** What the core gives a stage: the parts of its deps a stage's loops and use cases run on. */
export interface PipelineHost {
  config: ConfigOf<CoreConfigSpec>;
  db: CoreDatabase;
  clock: Clock;
  logger: Logger;
  metrics: MetricsRegistry;
  storage: ChunkStorage;
  analysisSettings: AnalysisSettings;
}

/** What `core worker` gives a stage: its settings and the internal API of the core it works for. */
export interface WorkerHost {
  config: ConfigOf<CoreConfigSpec>;
  client: InternalApiClient;
  clock: Clock;
  logger: Logger;
}

/** Loops a stage runs inside the core, and how to stop them after their jobs in flight. */
export interface StageLoops {
  loops: BackgroundLoop[];
  stop(): Promise<void>;
}

/** How this core runs a stage: shown in the start-up log, /health and the pipeline overview (never a key). */
export interface StageSetup {
  /** Whether the core runs the stage's jobs itself (else `core worker` processes do). */
  inProcess: boolean;
  [detail: string]: string | number | boolean | null;
}

/**
 * One pipeline stage, declared: its queue, the payload and result of its jobs, the work (inside
 * the core and in `core worker`), how a result is stored and a failure recorded, its metrics and
 * its part of /health. Nothing about a stage's subject (chunks, dialogues, campaigns) is assumed
 * here: that is the stage's own business.
 */
export interface PipelineStage<Payload = any, Result = any> {
  /** The queue its jobs wait in; also the role `core worker --role` takes and its loops' name. */
  queue: string;
  /** What a worker with this role does, for `core worker --help`. */
  summary: string;
  payloadSchema: z.ZodType<Payload>;
  resultSchema: z.ZodType<Result>;
  /** The stage's queue with its retry policy (backoff, attempts, lease). */
  createQueue(db: CoreDatabase, clock: Clock): JobQueue;
  /** Stores a result, whoever worked it out: the core's own loop and a worker's report go through it. */
  applyResult(host: PipelineHost, payload: Payload, result: Result): Promise<unknown>;
  /** Shows why a job gave up where its subject is seen. */
  recordFailure(host: PipelineHost, payload: Payload, error: string): Promise<void>;
  /** The stage's counters and gauges, registered once in the process that runs its jobs. */
  registerMetrics(metrics: MetricsRegistry): unknown;
  /** Its part of /health: `setup(config)` and the queue's backlog under this key. */
  healthKey: string;
  setup(config: ConfigOf<CoreConfigSpec>): StageSetup;
  /** Lines `check-config` prints under the settings: where the stage sends what it works on, if anywhere. */
  explain?(config: ConfigOf<CoreConfigSpec>): string[];
  /** One line for the start-up log: who does this stage's work. */
  describe(config: ConfigOf<CoreConfigSpec>): string;
  /** Everything the stage runs inside `serve`: its own workers when set up so, and any loop feeding its queue. */
  startInCore(host: PipelineHost, signal: AbortSignal, options: { idleIntervalMs?: number }): StageLoops;
  /** `core worker --role <queue>`: the settings it misses, then its loops pulling jobs over the internal API. */
  worker: {
    problems(config: ConfigOf<CoreConfigSpec>): string[];
    start(host: WorkerHost, signal: AbortSignal): Promise<RemoteJobWorker>;
  };
  /** Present when operators list and retry the stage's dead jobs (/api/v1/admin/pipeline). */
  operator?: {
    /** The dialogue a dead job was about, when it was about one. */
    dialogueOf(payload: Payload): string | null;
    /** Puts the job's subject back in line after its job got a fresh set of attempts (inside that transaction). */
    requeue(db: CoreDatabase, payload: Payload): Promise<void>;
  };
}

export type PipelineStages = readonly PipelineStage[];

/** The stage whose queue this is, or null. */
export function stageOf(stages: PipelineStages, queue: string): PipelineStage | null {
  return stages.find((stage) => stage.queue === queue) ?? null;
}

/** Starts every stage's loops inside the core, as `serve` and the test kits do. */
export function startPipelineStages(host: PipelineHost, stages: PipelineStages, signal: AbortSignal, options: { idleIntervalMs?: number } = {}): StageLoops {
  const started = stages.map((stage) => stage.startInCore(host, signal, options));
  host.logger.info("pipeline stages", Object.fromEntries(stages.map((stage) => [stage.healthKey, stage.describe(host.config)])));
  return {
    loops: started.flatMap((stage) => stage.loops),
    async stop() {
      await Promise.all(started.map((stage) => stage.stop()));
    },
  };
}

/** Each stage's /health section: how it is set up and its queue's backlog. */
export async function stagesHealth(host: Pick<PipelineHost, "config" | "db" | "clock">, stages: PipelineStages): Promise<Record<string, unknown>> {
  const sections = await Promise.all(
    stages.map(async (stage) => {
      return [stage.healthKey, { ...stage.setup(host.config), queue: await stage.createQueue(host.db, host.clock).backlog(stage.queue) }] as const;
    }),
  );
  return Object.fromEntries(sections);
}
