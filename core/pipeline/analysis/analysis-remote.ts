import { type AnalysisJobResult, analysisJobPayload, analysisJobResult, analysisQueueName } from "../../../shared/contracts/analysis-jobs.ts";
import type { RemoteJobHandler } from "../../internal/remote-jobs.ts";
import { createAnalysisJobQueue } from "../pipeline-queues.ts";
import { type AnalysisDeps, applyAnalysis, recordAnalysisFailure } from "./analysis.usecases.ts";

/** Analyses posted by `core worker --role analysis`: quotes are checked against the core's transcript before anything is stored. */
export function createAnalysisRemoteHandler(deps: AnalysisDeps): RemoteJobHandler<AnalysisJobResult> {
  return {
    queue: analysisQueueName,
    jobs: createAnalysisJobQueue(deps.db, deps.clock),
    resultSchema: analysisJobResult,
    async applyResult(job, result) {
      await applyAnalysis(deps, analysisJobPayload.parse(job.payload), result);
    },
    async onDead(job, error) {
      const payload = analysisJobPayload.safeParse(job.payload);
      if (payload.success) await recordAnalysisFailure(deps, payload.data, error);
    },
  };
}
