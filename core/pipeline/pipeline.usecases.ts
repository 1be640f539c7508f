import { analysisJobPayload, analysisQueueName } from "../../shared/contracts/analysis-jobs.ts";
import { asrJobPayload, asrQueueName } from "../../shared/contracts/asr-jobs.ts";
import type { JobQueue } from "../../shared/jobs/job-queue.ts";
import type { JobRow } from "../../shared/jobs/jobs.schema.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { setAnalysisStatus } from "./analysis/analysis.repository.ts";
import { countDialoguesByStage, setAsrStatus } from "./asr/asr.repository.ts";
import { analysisStatuses, asrStatuses } from "./dialogues/dialogues.schema.ts";
import { createAnalysisJobQueue, createAsrJobQueue } from "./pipeline-queues.ts";

export const pipelineStages = [asrQueueName, analysisQueueName] as const;
export type PipelineStage = (typeof pipelineStages)[number];

/** Who does the work, as this core is configured (no keys). */
export interface PipelineSetup {
  /** `audioSentTo` says in words where shop audio goes (or that it stays), for /health and check-config. */
  transcription: { server: string | null; model: string; inProcess: boolean; audioSentTo: string };
  analysis: { method: "llm" | "rules"; server: string | null; model: string | null; inProcess: boolean };
}

export interface PipelineDeps {
  db: CoreDatabase;
  clock: Clock;
  setup: PipelineSetup;
}

const deadListLimit = 20;
const retryBatch = 1000;

function queueOf(deps: PipelineDeps, stage: PipelineStage): JobQueue {
  return stage === asrQueueName ? createAsrJobQueue(deps.db, deps.clock) : createAnalysisJobQueue(deps.db, deps.clock);
}

/** Where every closed dialogue stands in transcription and analysis, the queues, and the latest jobs that gave up. */
export async function getPipelineOverview(deps: PipelineDeps) {
  const asrCounts = Object.fromEntries(asrStatuses.map((status) => [status, 0])) as Record<(typeof asrStatuses)[number], number>;
  const analysisCounts = Object.fromEntries(analysisStatuses.map((status) => [status, 0])) as Record<(typeof analysisStatuses)[number], number>;
  for (const row of await countDialoguesByStage(deps.db)) {
    asrCounts[row.asrStatus] += row.count;
    analysisCounts[row.analysisStatus] += row.count;
  }
  const stages = await Promise.all(
    pipelineStages.map(async (stage) => {
      const queue = queueOf(deps, stage);
      return { stage, backlog: await queue.backlog(stage), dead: await queue.listDead(stage, deadListLimit) };
    }),
  );
  return {
    setup: deps.setup,
    dialogues: { asr: asrCounts, analysis: analysisCounts },
    queues: Object.fromEntries(stages.map((stage) => [stage.stage, stage.backlog])),
    deadJobs: stages.flatMap((stage) => stage.dead.map(describeDeadJob)),
  };
}

function describeDeadJob(job: JobRow) {
  let dialogueId: string | null = null;
  try {
    dialogueId = (JSON.parse(job.payload) as { dialogue_id?: string }).dialogue_id ?? null;
  } catch {
    // a payload we cannot read is shown without its dialogue
  }
  return { jobId: job.id, queue: job.queue, dialogueId, attempts: job.attempts, error: job.lastError, failedAt: job.finishedAt };
}

/**
 * Gives every dead job of a stage a fresh set of attempts (after the provider was fixed), and puts
 * its dialogue back to QUEUED when the job still describes the dialogue as it is.
 */
export async function retryFailedJobs(deps: PipelineDeps, stage: PipelineStage): Promise<number> {
  const dead = await queueOf(deps, stage).listDead(stage, retryBatch);
  let retried = 0;
  for (const job of dead) {
    await deps.db.transaction(async (tx) => {
      if (!(await queueOf({ ...deps, db: tx }, stage).retryDead(job.id))) return;
      retried++;
      const payload = JSON.parse(job.payload) as unknown;
      if (stage === asrQueueName) {
        const parsed = asrJobPayload.safeParse(payload);
        if (parsed.success) await setAsrStatus(tx, parsed.data.dialogue_id, parsed.data.revision, "QUEUED");
      } else {
        const parsed = analysisJobPayload.safeParse(payload);
        if (parsed.success) await setAnalysisStatus(tx, parsed.data.dialogue_id, "QUEUED", { revision: parsed.data.revision });
      }
    });
  }
  return retried;
}
