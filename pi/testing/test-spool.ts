import { silentLogger } from "../../shared/log/logger.ts";
import { createFakeClock, type FakeClock } from "../../shared/testing/fake-clock.ts";
import { openTempDatabase, type TempDatabase } from "../../shared/testing/temp-database.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { migrations } from "../db/migrations.ts";
import * as schema from "../db/schema.ts";
import { measureInputLevel } from "../recorder/input-level.ts";
import { ensureSpoolDirectories, spoolLayout } from "../spool/spool-layout.ts";
import { createSpoolLock } from "../spool/spool-lock.ts";
import { createSpoolRepository } from "../spool/spool.repository.ts";
import type { SpoolDeps } from "../spool/spool.usecases.ts";

export interface TestSpool {
  deps: SpoolDeps & { clock: FakeClock };
  database: TempDatabase<typeof schema>;
  dir: TempDir;
  dispose(): void;
}

/** A spool directory and a migrated pi database in temp dirs, wired as the agent wires them. */
export async function createTestSpool(): Promise<TestSpool> {
  const database = await openTempDatabase(migrations, schema);
  const dir = makeTempDir("salescontrol-spool-");
  const layout = spoolLayout(dir.join("spool"));
  ensureSpoolDirectories(layout);
  const deps = {
    repository: createSpoolRepository(database.db),
    layout,
    lock: createSpoolLock(),
    clock: createFakeClock(),
    logger: silentLogger,
    measureLevel: measureInputLevel,
  };
  return {
    deps,
    database,
    dir,
    dispose: () => {
      database.dispose();
      dir.remove();
    },
  };
}
