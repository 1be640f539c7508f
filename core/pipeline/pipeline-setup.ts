import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { analysisConfig } from "./analysis/analysis.config.ts";
import { llmSettingsOf } from "./analysis/upsell-analyser.ts";
import type { asrConfig } from "./asr/asr.config.ts";
import { transcriptionSettingsOf } from "./asr/transcription-provider.ts";
import { openAiCloudBaseUrl } from "./openai-client.ts";
import type { PipelineSetup } from "./pipeline.usecases.ts";

/** Who transcribes and analyses, as these settings say: for /health, the pipeline overview and the start-up log. */
function audioDestinationOf(server: string | null): string {
  if (!server) return "nowhere: no transcription server is configured (TRANSCRIPTION_BASE_URL), so shop audio stays on this server";
  const cloud = new URL(server).hostname === new URL(openAiCloudBaseUrl).hostname ? " (OpenAI's cloud)" : "";
  return `${server}${cloud}, by this core and by \`core worker --role asr\` processes`;
}

/** The lines `check-config` adds under the settings: where shop audio and transcripts go. */
export function describePipelineSetup(setup: PipelineSetup): string[] {
  const analysis = setup.analysis.method === "llm" ? `the LLM at ${setup.analysis.server} (${setup.analysis.model})` : "the offline rules on this server";
  return [`shop audio for transcription is sent to: ${setup.transcription.audioSentTo}`, `transcripts are analysed by: ${analysis}`];
}

export function pipelineSetupOf(config: ConfigOf<typeof asrConfig> & ConfigOf<typeof analysisConfig>): PipelineSetup {
  const transcription = transcriptionSettingsOf(config);
  const llm = llmSettingsOf(config);
  return {
    transcription: {
      server: transcription?.endpoint.baseUrl ?? null,
      model: config.transcriptionModel,
      inProcess: config.asrInProcess && transcription !== null,
      audioSentTo: audioDestinationOf(transcription?.endpoint.baseUrl ?? null),
    },
    analysis: { method: llm ? "llm" : "rules", server: llm?.endpoint.baseUrl ?? null, model: llm?.model ?? null, inProcess: config.analysisInProcess },
  };
}
