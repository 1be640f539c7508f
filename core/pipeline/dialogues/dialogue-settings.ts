import type { ConfigOf } from "../../../shared/config/config-spec.ts";
import type { pipelineConfig } from "../pipeline.config.ts";
import type { DialogueSettings } from "./dialogues.usecases.ts";

export function dialogueSettingsOf(config: ConfigOf<typeof pipelineConfig>): DialogueSettings {
  return {
    silenceGapMs: config.dialogueSilenceGapSeconds * 1000,
    maxDialogueMs: config.dialogueMaxSeconds * 1000,
    closeGraceMs: config.dialogueCloseGraceSeconds * 1000,
  };
}
