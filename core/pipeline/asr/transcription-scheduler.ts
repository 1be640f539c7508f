import { type BackgroundLoop, startBackgroundLoop } from "../../../shared/runtime/background-loop.ts";
import { type AsrDeps, scheduleTranscriptions } from "./asr.usecases.ts";

const batch = 100;

/**
 * Queues closed dialogues for transcription as they close (or change after being transcribed).
 * Runs in the core whether transcription happens there or on worker hosts.
 */
export function startTranscriptionScheduler(deps: AsrDeps, signal: AbortSignal, intervalMs = 2000): BackgroundLoop {
  return startBackgroundLoop({
    name: "asr-scheduler",
    intervalMs,
    clock: deps.clock,
    logger: deps.logger,
    signal,
    tick: async () => ((await scheduleTranscriptions(deps, batch)) === batch ? "busy" : "idle"),
  });
}
