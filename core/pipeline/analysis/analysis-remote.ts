import { type AnalysisJobResult, analysisJobPayload, analysisJobResult, analysisQueueName } from "../../../shared/contracts/analysis-jobs.ts";
import { type RemoteJobHandler, remoteJobHandlerOf } from "../../internal/remote-jobs.ts";
import { createAnalysisJobQueue } from "../pipeline-queues.ts";
import { type AnalysisDeps, applyAnalysis, recordAnalysisFailure } from "./analysis.usecases.ts";

/** Analyses posted by `core worker --role analysis`: quotes are checked against the core's transcript before anything is stored. */
export function createAnalysisRemoteHandler(deps: AnalysisDeps): RemoteJobHandler<AnalysisJobResult> {
  return remoteJobHandlerOf({
    queue: analysisQueueName,
    jobs: createAnalysisJobQueue(deps.db, deps.clock),
    payloadSchema: analysisJobPayload,
    resultSchema: analysisJobResult,
    apply: (payload, result) => applyAnalysis(deps, payload, result),
    recordFailure: (payload, error) => recordAnalysisFailure(deps, payload, error),
  });
}
