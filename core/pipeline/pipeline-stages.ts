import { analysisStage } from "./analysis/analysis.stage.ts";
import { asrStage } from "./asr/asr.stage.ts";
import type { PipelineStages } from "./pipeline-stage.ts";
import { vadStage } from "./vad/vad.stage.ts";
import { ttsStage } from "../studio/tts.stage.ts";

/**
 * Every stage of the core's pipeline. The core's loops, the internal API, `core worker --role`,
 * /health, /metrics and the pipeline overview all read this list: a new stage is its folder plus
 * one line here.
 */
export const pipelineStages: PipelineStages = [vadStage, asrStage, analysisStage, ttsStage];
