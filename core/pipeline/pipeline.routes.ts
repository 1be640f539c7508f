import { z } from "zod";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { getPipelineOverview, type PipelineDeps, pipelineStages, retryFailedJobs } from "./pipeline.usecases.ts";

/** The operator's view of transcription and analysis (behind the admin token on /api/v1/admin/*). */
export function registerPipelineRoutes(app: HttpApp, deps: PipelineDeps): void {
  app.get("/api/v1/admin/pipeline", async (c) => {
    const overview = await getPipelineOverview(deps);
    return c.json({
      transcription: { server: overview.setup.transcription.server, model: overview.setup.transcription.model, in_process: overview.setup.transcription.inProcess },
      analysis: { method: overview.setup.analysis.method, server: overview.setup.analysis.server, model: overview.setup.analysis.model, in_process: overview.setup.analysis.inProcess },
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
    const { stage } = z.object({ stage: z.enum(pipelineStages) }).parse(c.req.param());
    return c.json({ stage, retried: await retryFailedJobs(deps, stage) });
  });
}
