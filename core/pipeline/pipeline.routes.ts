import { z } from "zod";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import type { StageSetup } from "./pipeline-stage.ts";
import { getPipelineOverview, operatedStages, type PipelineDeps, retryFailedJobs } from "./pipeline.usecases.ts";

/** A stage's setup as the wire shows it: snake_case names. */
function setupOnWire(setup: StageSetup): Record<string, unknown> {
  return Object.fromEntries(Object.entries(setup).map(([name, value]) => [name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`), value]));
}

/** The operator's view of the pipeline's stages (behind the admin token on /api/v1/admin/*). */
export function registerPipelineRoutes(app: HttpApp, deps: PipelineDeps): void {
  const stages = operatedStages(deps.stages);
  const stageParam = z.object({ stage: z.enum(stages.map((stage) => stage.queue) as [string, ...string[]]) });

  app.get("/api/v1/admin/pipeline", async (c) => {
    const overview = await getPipelineOverview(deps);
    return c.json({
      ...Object.fromEntries(Object.entries(overview.setup).map(([key, setup]) => [key, setupOnWire(setup)])),
      dialogues: overview.dialogues,
      queues: overview.queues,
      dead_jobs: overview.deadJobs.map((job) => ({
        job_id: job.jobId,
        queue: job.queue,
        dialogue_id: job.dialogueId,
        attempts: job.attempts,
        error: job.error,
        failed_at: isoTime(job.failedAt),
      })),
    });
  });

  app.post("/api/v1/admin/pipeline/:stage/retry-failed", async (c) => {
    const { stage } = stageParam.parse(c.req.param());
    return c.json({ stage, retried: await retryFailedJobs(deps, stages.find((candidate) => candidate.queue === stage)!) });
  });
}
