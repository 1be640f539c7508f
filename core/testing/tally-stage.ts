import { join } from "node:path";
import { z } from "zod";
import { uuidString } from "../../shared/contracts/identifiers.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import { createJobQueue } from "../../shared/jobs/job-queue.ts";
import { writeFileAtomicSync } from "../../shared/runtime/files.ts";
import { remoteWorkerName, startRemoteJobWorker } from "../internal/remote-job-worker.ts";
import { failLocalJob, startLocalJobSlots } from "../pipeline/job-slots.ts";
import type { PipelineHost, PipelineStage } from "../pipeline/pipeline-stage.ts";

/**
 * A throwaway stage for tests, declared the way a real one is and unrelated to chunks or
 * dialogues (like speech synthesis for a campaign's lines): it counts the characters of a line of
 * text and keeps the count as a file under <data_dir>/tally/. Added to the standard list, it proves
 * that the list alone wires a stage into the core's loops, the internal API, `core worker`,
 * /health and /metrics.
 */
export const tallyQueueName = "tally";

export const tallyJobPayload = z.object({ line_id: uuidString, text: z.string().min(1).max(1000) });
export const tallyJobResult = z.object({ characters: z.number().int().min(0), worker: z.string() });
export type TallyJobPayload = z.output<typeof tallyJobPayload>;
export type TallyJobResult = z.output<typeof tallyJobResult>;

/** Where a line's outcome lands: `{ characters, worker }`, or `{ failed }` once its job gave up. */
export function tallyFilePath(dataDir: string, lineId: string): string {
  return join(dataDir, "tally", `${lineId}.json`);
}

function tallyOf(payload: TallyJobPayload, worker: string): TallyJobResult {
  if (payload.text.startsWith("fail")) throw new Error(`refusing to tally "${payload.text}"`);
  return { characters: [...payload.text].length, worker };
}

function registerTallyMetrics(metrics: MetricsRegistry) {
  return metrics.counter("tally_lines_total", "Lines tallied in this process, by outcome.");
}

function keep(host: PipelineHost, lineId: string, outcome: unknown): void {
  writeFileAtomicSync(tallyFilePath(host.config.dataDir, lineId), JSON.stringify(outcome));
}

export const tallyStage: PipelineStage<TallyJobPayload, TallyJobResult> = {
  queue: tallyQueueName,
  summary: "count the characters of lines (tally, tests only)",
  payloadSchema: tallyJobPayload,
  resultSchema: tallyJobResult,
  createQueue: (db, clock) => createJobQueue(db, { clock, backoff: { initialMs: 100, maxMs: 1000 }, leaseMs: 30_000, maxAttempts: 2 }),
  applyResult: async (host, payload, result) => keep(host, payload.line_id, result),
  recordFailure: async (host, payload, error) => keep(host, payload.line_id, { failed: error }),
  registerMetrics: registerTallyMetrics,
  healthKey: "tally",
  setup: () => ({ inProcess: true }),
  describe: () => "in process",
  startInCore(host, signal, options) {
    const queue = tallyStage.createQueue(host.db, host.clock);
    const lines = registerTallyMetrics(host.metrics);
    const slots = startLocalJobSlots({
      name: tallyQueueName,
      queueName: tallyQueueName,
      queue,
      slots: 1,
      leaseMs: 30_000,
      intervalMs: options.idleIntervalMs ?? 100,
      clock: host.clock,
      logger: host.logger,
      signal,
      async run(job) {
        const payload = tallyJobPayload.parse(job.payload);
        let result: TallyJobResult;
        try {
          result = tallyOf(payload, "core");
        } catch (error) {
          await failLocalJob(queue, job, { message: (error as Error).message, permanent: true }, { dead: (message) => tallyStage.recordFailure(host, payload, message) });
          lines.inc({ outcome: "failed" });
          return;
        }
        await tallyStage.applyResult(host, payload, result);
        await queue.complete(job);
        lines.inc({ outcome: "done" });
      },
    });
    return { loops: slots.loops, stop: () => slots.stopped };
  },
  worker: {
    problems: () => [],
    start: async (host, signal) =>
      startRemoteJobWorker(
        { ...host, idleIntervalMs: 100 },
        {
          name: "remote-tally",
          queue: tallyQueueName,
          slots: 1,
          leaseSeconds: 30,
          async run(job) {
            const payload = tallyJobPayload.safeParse(job.payload);
            if (!payload.success) return { failure: `malformed tally job payload: ${payload.error.message}`, permanent: true };
            try {
              return { result: tallyOf(payload.data, remoteWorkerName) };
            } catch (error) {
              return { failure: (error as Error).message, permanent: true };
            }
          },
        },
        signal,
      ),
  },
};
