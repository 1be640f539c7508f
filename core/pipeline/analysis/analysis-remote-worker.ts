import { analysisJobPayload, analysisQueueName, analysisSettingsPath, analysisSettingsResponse } from "../../../shared/contracts/analysis-jobs.ts";
import { type RemoteJobWorker, type RemoteWorkerDeps, remoteWorkerName, startRemoteJobWorker } from "../../internal/remote-job-worker.ts";
import type { AnalysisSettings } from "./analysis-settings.ts";
import { analysisFailureOf, analysisResultOf, type UpsellAnalyser } from "./upsell-analyser.ts";

/** Workers ask the core for its analysis settings again after this long: a core restarted with a changed file reaches running workers. */
const settingsRefreshMs = 5 * 60_000;

export interface RemoteAnalysisWorkerDeps extends RemoteWorkerDeps {
  analyser: UpsellAnalyser;
  slots: number;
  leaseSeconds: number;
}

/**
 * `core worker --role analysis`: claims analysis jobs, analyses each transcript with this host's
 * LLM (or the offline rules) under the core's categories, rubric and prompts, and posts the result.
 */
export function startRemoteAnalysisWorker(deps: RemoteAnalysisWorkerDeps, signal: AbortSignal): RemoteJobWorker {
  let settings: { value: AnalysisSettings; fetchedAt: number } | null = null;
  const currentSettings = async (): Promise<AnalysisSettings> => {
    if (settings && deps.clock.now() - settings.fetchedAt < settingsRefreshMs) return settings.value;
    try {
      settings = { value: (await deps.client.getJson(analysisSettingsPath, analysisSettingsResponse)).settings, fetchedAt: deps.clock.now() };
    } catch (error) {
      // The core may be restarting: the settings it gave before still hold.
      if (!settings) throw error;
    }
    return settings.value;
  };
  return startRemoteJobWorker(
    deps,
    {
      name: "remote-analysis",
      queue: analysisQueueName,
      slots: deps.slots,
      leaseSeconds: deps.leaseSeconds,
      async run(job, lease) {
        const payload = analysisJobPayload.safeParse(job.payload);
        if (!payload.success) return { failure: `malformed analysis job payload: ${payload.error.message}`, permanent: true };
        const analysisSettings = await currentSettings();
        try {
          const analysis = await deps.analyser.analyse({ transcript: payload.data.text, language: payload.data.language }, analysisSettings, lease);
          return { result: analysisResultOf(analysis, remoteWorkerName) };
        } catch (error) {
          if (lease.aborted) throw error;
          const failure = analysisFailureOf(error);
          return { failure: failure.message, permanent: failure.permanent };
        }
      },
    },
    signal,
  );
}
