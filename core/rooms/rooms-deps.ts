import { join } from "node:path";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { MetricsRegistry } from "../../shared/http/metrics.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "../config.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { llmSettingsOf } from "../pipeline/analysis/upsell-analyser.ts";
import { createSpeechProvider, speechSettingsOf } from "../studio/speech-settings.ts";
import { createPromptWriter } from "./prompt-writer.ts";
import { createRoomEngine, type RoomEngine } from "./room-engine.ts";
import { createRoomsRepository } from "./rooms.repository.ts";

/** Where the rooms keep their sentences' audio. */
export function roomAudioDirectoryOf(config: Pick<ConfigOf<CoreConfigSpec>, "dataDir">): string {
  return join(config.dataDir, "rooms", "audio");
}

/** The listening rooms on the studio's speech provider and the analysis' chat model. */
export function createRooms(deps: { config: ConfigOf<CoreConfigSpec>; db: CoreDatabase; clock: Clock; logger: Logger; metrics: MetricsRegistry }): RoomEngine {
  const llm = llmSettingsOf(deps.config);
  return createRoomEngine({
    rooms: createRoomsRepository(deps.db),
    clock: deps.clock,
    logger: deps.logger,
    metrics: deps.metrics,
    speech: createSpeechProvider(speechSettingsOf(deps.config)),
    promptWriter: llm ? createPromptWriter(llm) : null,
    settings: {
      stallTimeoutMs: deps.config.roomStallTimeoutSeconds * 1000,
      scheduleLeadMs: deps.config.roomScheduleLeadMs,
      playedRetentionMs: deps.config.roomPlayedRetentionDays * 24 * 3600 * 1000,
      audioDirectory: roomAudioDirectoryOf(deps.config),
    },
  });
}

/**
 * The rooms' loops: every 60 s the played sentences past their retention are removed; every second
 * the writes the database refused are tried again (a streak is logged once by the loop).
 */
export function startRoomLoops(deps: { rooms: RoomEngine; clock: Clock; logger: Logger }, signal: AbortSignal): BackgroundLoop[] {
  const cleanupBatch = 500;
  return [
    startBackgroundLoop({
      name: "rooms-cleanup",
      intervalMs: 60_000,
      clock: deps.clock,
      logger: deps.logger,
      signal,
      tick: async () => {
        const removed = await deps.rooms.removeOldChunks(cleanupBatch);
        if (removed > 0) deps.logger.info("removed played listening-room chunks past retention", { chunks: removed });
        return removed === cleanupBatch ? "busy" : "idle";
      },
    }),
    startBackgroundLoop({
      name: "rooms-state-writer",
      intervalMs: 1000,
      backoff: { initialMs: 1000, maxMs: 5000 },
      clock: deps.clock,
      logger: deps.logger,
      signal,
      tick: () => deps.rooms.flushState(),
    }),
  ];
}
