import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { analysisConfig } from "./analysis/analysis.config.ts";
import { llmSettingsOf } from "./analysis/upsell-analyser.ts";
import type { asrConfig } from "./asr/asr.config.ts";
import { transcriptionSettingsOf } from "./asr/transcription-provider.ts";
import type { PipelineSetup } from "./pipeline.usecases.ts";

/** Who transcribes and analyses, as these settings say: for /health, the pipeline overview and the start-up log. */
export function pipelineSetupOf(config: ConfigOf<typeof asrConfig> & ConfigOf<typeof analysisConfig>): PipelineSetup {
  const transcription = transcriptionSettingsOf(config);
  const llm = llmSettingsOf(config);
  return {
    transcription: { server: transcription?.endpoint.baseUrl ?? null, model: config.transcriptionModel, inProcess: config.asrInProcess && transcription !== null },
    analysis: { method: llm ? "llm" : "rules", server: llm?.endpoint.baseUrl ?? null, model: llm?.model ?? null, inProcess: config.analysisInProcess },
  };
}
