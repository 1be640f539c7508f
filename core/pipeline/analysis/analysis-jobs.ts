import { analysisJobPayload, analysisQueueName } from "../../../shared/contracts/analysis-jobs.ts";
import type { MetricsRegistry } from "../../../shared/http/metrics.ts";
import type { ClaimedJob, JobQueue } from "../../../shared/jobs/job-queue.ts";
import type { BackgroundLoop } from "../../../shared/runtime/background-loop.ts";
import { AppError } from "../../../shared/http/app-error.ts";
import { failLocalJob, type JobFailure, readLocalJobPayload, startLocalJobSlots } from "../job-slots.ts";
import { type AnalysisDeps, applyAnalysis, recordAnalysisFailure } from "./analysis.usecases.ts";
import { analysisFailureOf, analysisResultOf, type UpsellAnalyser } from "./upsell-analyser.ts";

export function registerAnalysisMetrics(metrics: MetricsRegistry) {
  return {
    dialogues: metrics.counter("analysis_dialogues_total", "Upsell analysis jobs run in this process, by method and outcome."),
    seconds: metrics.counter("analysis_seconds_total", "Seconds this process spent analysing transcripts (waiting for the LLM included), by method."),
  };
}

export type AnalysisMetrics = ReturnType<typeof registerAnalysisMetrics>;

export interface LocalAnalysisDeps extends AnalysisDeps {
  queue: JobQueue;
  analyser: UpsellAnalyser;
  metrics: AnalysisMetrics;
  leaseMs: number;
}

/** Runs one claimed analysis job inside the core; a rejected answer is retried, never stored. */
export async function runAnalysisJob(deps: LocalAnalysisDeps, job: ClaimedJob, lease: AbortSignal): Promise<void> {
  const payload = await readLocalJobPayload(deps.queue, job, analysisJobPayload, "analysis");
  if (!payload) return;
  const method = deps.analyser.method;
  const fail = (failure: JobFailure) =>
    failLocalJob(deps.queue, job, failure, {
      counted: (outcome) => deps.metrics.dialogues.inc({ method, outcome }),
      dead: (message) => recordAnalysisFailure(deps, payload, message),
    });
  const started = performance.now();
  let analysis;
  try {
    analysis = await deps.analyser.analyse({ transcript: payload.text, language: payload.language }, deps.settings, lease);
  } catch (error) {
    if (lease.aborted) return;
    return fail(analysisFailureOf(error));
  } finally {
    deps.metrics.seconds.inc({ method }, (performance.now() - started) / 1000);
  }
  if (!(await deps.queue.heartbeat(job, deps.leaseMs))) return;
  let outcome;
  try {
    outcome = await applyAnalysis(deps, payload, analysisResultOf(analysis, "core"));
  } catch (error) {
    if (error instanceof AppError) return fail({ message: `analysis rejected: ${error.message}`, permanent: false });
    throw error;
  }
  await deps.queue.complete(job);
  deps.metrics.dialogues.inc({ method, outcome });
}

/** The core's own analysis workers: one per allowed concurrent LLM request. */
export function startAnalysisSlots(deps: LocalAnalysisDeps, options: { slots: number; intervalMs?: number }, signal: AbortSignal): { loops: BackgroundLoop[]; stop(): Promise<void> } {
  const slots = startLocalJobSlots({
    name: "analysis",
    queueName: analysisQueueName,
    queue: deps.queue,
    slots: options.slots,
    leaseMs: deps.leaseMs,
    intervalMs: options.intervalMs ?? 1000,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    run: (job, lease) => runAnalysisJob(deps, job, lease),
  });
  return { loops: slots.loops, stop: () => slots.stopped };
}
