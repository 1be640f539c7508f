import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CoreConfigSpec } from "../config.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { createStudioRepository } from "./studio.repository.ts";
import { join } from "node:path";
import { createStudioEdgesRepository } from "./studio-edges.repository.ts";
import type { PublishDeps } from "./studio-publish.usecases.ts";
import { speechDirectoryOf, ttsQueueName, ttsStage } from "./tts.stage.ts";

/** The studio's use cases on the core's database, queueing generation on the tts stage and publishing to edges. */
export function createStudioDeps(deps: { config: ConfigOf<CoreConfigSpec>; db: CoreDatabase; clock: Clock; logger: Logger }): PublishDeps {
  return {
    studio: createStudioRepository(deps.db),
    clock: deps.clock,
    logger: deps.logger,
    ttsQueue: (database) => ttsStage.createQueue(database, deps.clock),
    ttsQueueName,
    speechDirectory: speechDirectoryOf(deps.config),
    edges: createStudioEdgesRepository(deps.db),
    publishDirectory: join(deps.config.dataDir, "studio", "outgoing"),
  };
}
