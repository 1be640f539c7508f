import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { JobRow } from "../../shared/jobs/jobs.schema.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "../config.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { createAsrRepository } from "./asr/asr.repository.ts";
import { analysisStatuses, asrStatuses } from "./dialogues/dialogues.schema.ts";
import type { PipelineStage, PipelineStages, StageSetup } from "./pipeline-stage.ts";

export interface PipelineDeps {
  db: CoreDatabase;
  clock: Clock;
  config: ConfigOf<CoreConfigSpec>;
  stages: PipelineStages;
}

const deadListLimit = 20;
const retryBatch = 1000;

/** The stages operators list and retry: those that declare an operator view. */
export function operatedStages(stages: PipelineStages): Array<PipelineStage & Required<Pick<PipelineStage, "operator">>> {
  return stages.filter((stage): stage is PipelineStage & Required<Pick<PipelineStage, "operator">> => stage.operator !== undefined);
}

/** Where every closed dialogue stands in transcription and analysis, the queues, and the latest jobs that gave up. */
export async function getPipelineOverview(deps: PipelineDeps) {
  const asrCounts = Object.fromEntries(asrStatuses.map((status) => [status, 0])) as Record<(typeof asrStatuses)[number], number>;
  const analysisCounts = Object.fromEntries(analysisStatuses.map((status) => [status, 0])) as Record<(typeof analysisStatuses)[number], number>;
  for (const row of await createAsrRepository(deps.db).countDialoguesByStage()) {
    asrCounts[row.asrStatus] += row.count;
    analysisCounts[row.analysisStatus] += row.count;
  }
  const stages = await Promise.all(
    operatedStages(deps.stages).map(async (stage) => {
      const queue = stage.createQueue(deps.db, deps.clock);
      const dead = await queue.listDead(stage.queue, deadListLimit);
      return { stage, backlog: await queue.backlog(stage.queue), dead: dead.map((job) => describeDeadJob(stage, job)) };
    }),
  );
  return {
    setup: Object.fromEntries(stages.map(({ stage }) => [stage.healthKey, stage.setup(deps.config)])) as Record<string, StageSetup>,
    dialogues: { asr: asrCounts, analysis: analysisCounts },
    queues: Object.fromEntries(stages.map(({ stage, backlog }) => [stage.queue, backlog])),
    deadJobs: stages.flatMap((stage) => stage.dead),
  };
}

function describeDeadJob(stage: PipelineStage & Required<Pick<PipelineStage, "operator">>, job: JobRow) {
  let dialogueId: string | null = null;
  try {
    const payload = stage.payloadSchema.safeParse(JSON.parse(job.payload));
    if (payload.success) dialogueId = stage.operator.dialogueOf(payload.data);
  } catch {
    // a payload we cannot read is shown without its dialogue
  }
  return { jobId: job.id, queue: job.queue, dialogueId, attempts: job.attempts, error: job.lastError, failedAt: job.finishedAt };
}

/**
 * Gives every dead job of a stage a fresh set of attempts (after the provider was fixed), and puts
 * its subject back in line when the job still describes it as it is.
 */
export async function retryFailedJobs(deps: PipelineDeps, stage: PipelineStage & Required<Pick<PipelineStage, "operator">>): Promise<number> {
  const dead = await stage.createQueue(deps.db, deps.clock).listDead(stage.queue, retryBatch);
  let retried = 0;
  for (const job of dead) {
    await deps.db.transaction(async (tx) => {
      if (!(await stage.createQueue(tx, deps.clock).retryDead(job.id))) return;
      retried++;
      const payload = stage.payloadSchema.safeParse(JSON.parse(job.payload) as unknown);
      if (payload.success) await stage.operator.requeue(tx, payload.data);
    });
  }
  return retried;
}
