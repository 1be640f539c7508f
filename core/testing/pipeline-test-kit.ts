import { join } from "node:path";
import { MetricsRegistry } from "../../shared/http/metrics.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import type { FakeClock } from "../../shared/testing/fake-clock.ts";
import { startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { vadQueueName } from "../../shared/contracts/vad-jobs.ts";
import { startPipelineStages } from "../pipeline/pipeline-stage.ts";
import type { TestCore } from "./core-test-app.ts";

/**
 * Moves a fake clock forward while a test waits on real work (a transcription server, worker
 * processes): `speed` fake milliseconds pass per real millisecond, so backoffs and leases pass
 * quickly and still in order.
 */
export function startTickingClock(clock: FakeClock, speed = 10, everyMs = 20): { stop(): void } {
  const timer = setInterval(() => void clock.advance(everyMs * speed), everyMs);
  return { stop: () => clearInterval(timer) };
}

/** The core's own pipeline stages as `serve` starts them (VAD, the transcription scheduler, transcription and analysis workers), from the core's deps. */
export function startTestPipeline(core: TestCore, options: { vad?: boolean } = {}): { stop(): Promise<void> } {
  const shutdown = new AbortController();
  const stages = options.vad === false ? core.deps.stages.filter((stage) => stage.queue !== vadQueueName) : core.deps.stages;
  // A registry of its own: a test may start the pipeline more than once on one core.
  const pipeline = startPipelineStages({ ...core.deps, logger: silentLogger, metrics: new MetricsRegistry() }, stages, shutdown.signal, { idleIntervalMs: 200 });
  return {
    async stop() {
      shutdown.abort();
      await pipeline.stop();
    },
  };
}

/** Polls `check` in real time until it returns a value, or fails with `what` after the deadline. */
export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface WorkerProcess {
  pid: number;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** `core worker --role …` as its own process from source (core/main.ts unless `entry` names another), started once it logs "worker started". */
export async function startWorkerProcess(options: { coreUrl: string; token: string; roles: string; env?: Record<string, string>; entry?: string }): Promise<WorkerProcess> {
  const dataDir = makeTempDir("salescontrol-worker-");
  try {
    const worker = await startNodeProcess(process.execPath, [options.entry ?? join(import.meta.dir, "../main.ts"), "worker", "--role", options.roles, "--core-url", options.coreUrl, "--token", options.token], {
      cwd: dataDir.path,
      env: { PATH: process.env.PATH!, DATA_DIR: dataDir.path, ...options.env },
      readyMessage: "worker started",
    });
    return {
      pid: worker.pid,
      async stop(signal = "SIGTERM") {
        const code = await worker.stop(signal);
        dataDir.remove();
        return code;
      },
    };
  } catch (error) {
    dataDir.remove();
    throw error;
  }
}
