import { field } from "../../shared/config/config-spec.ts";
import { flag, httpUrl, integer, optional } from "../../shared/config/config-types.ts";

/** Speech finding and dialogue building, and where a remote `core worker` finds the core. */
export const pipelineConfig = {
  vadInProcess: field(flag(), {
    env: "VAD_IN_PROCESS",
    default: true,
    description: "Find speech in uploaded chunks inside the core process; false leaves VAD to `core worker` processes.",
  }),
  dialogueSilenceGapSeconds: field(integer({ min: 1, max: 600 }), {
    env: "DIALOGUE_SILENCE_GAP_SECONDS",
    default: 20,
    description: "Silence at a register that ends a dialogue, in seconds.",
  }),
  dialogueMaxSeconds: field(integer({ min: 10, max: 14_400 }), {
    env: "DIALOGUE_MAX_SECONDS",
    default: 900,
    description: "Longest dialogue, in seconds; longer stretches of talk are split at a pause between segments.",
  }),
  dialogueCloseGraceSeconds: field(integer({ min: 0, max: 86_400 }), {
    env: "DIALOGUE_CLOSE_GRACE_SECONDS",
    default: 180,
    description: "How long after its silence gap a dialogue waits for late chunks before it is closed without them, in seconds.",
  }),
  ingestInternalBaseUrl: field(optional(httpUrl()), {
    env: "INGEST_INTERNAL_BASE_URL",
    description: "For `core worker` on another host: the core's URL, whose internal API it pulls jobs from (with INTERNAL_TOKEN).",
  }),
};
