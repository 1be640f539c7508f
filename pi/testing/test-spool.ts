import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../shared/config/config-loader.ts";
import { type Clock, systemClock } from "../../shared/runtime/clock.ts";
import { createFakeClock, type FakeClock } from "../../shared/testing/fake-clock.ts";
import { openTempDatabase, type TempDatabase } from "../../shared/testing/temp-database.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { migrations } from "../db/migrations.ts";
import * as schema from "../db/schema.ts";
import { piConfigSpec } from "../config.ts";
import { buildPiDeps, type PiDatabase } from "../pi-deps.ts";
import { absoluteChunkPath, ensureSpoolDirectories } from "../spool/spool-layout.ts";
import { chunkIdFor, moveDurably, type RegisteredChunk, registerSegment, type SpoolDeps } from "../spool/spool.usecases.ts";

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
  const deps = { ...createSpoolDeps(database.db, dir.join("spool")), clock: createFakeClock() };
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

/** The spool at `spoolDir` (its folders created) over a pi database, built by the node's own composition root. */
export function createSpoolDeps(db: PiDatabase, spoolDir: string, clock: Clock = systemClock): SpoolDeps {
  const { spool } = buildPiDeps(testPiConfig({ RA_SPOOL_DIR: spoolDir }), db, clock);
  ensureSpoolDirectories(spool.layout);
  return spool;
}

/** A recorder's settings for tests: this recorder's identity, a core that is never asked, and `env` on top. */
export function testPiConfig(env: Record<string, string> = {}) {
  return loadConfig(piConfigSpec, {
    env: {
      RA_POINT_ID: "00000000-0000-0000-0000-000000000001",
      RA_REGISTER_ID: "00000000-0000-0000-0000-000000000002",
      RA_DEVICE_ID: "00000000-0000-0000-0000-000000000003",
      RA_INGEST_BASE_URL: "http://127.0.0.1:9",
      RA_INGEST_TOKEN: "test-device-token-0123456789",
      ...env,
    },
    dotenvPath: null,
  }).values;
}

/**
 * Registers `count` copies of one segment file as the chunks of recording `session`, as the
 * recorder hands them over; chunk `index` starts at `startTs(index)` and lasts `durationMs`.
 */
export async function registerCopies(
  deps: SpoolDeps,
  segmentFile: string,
  options: { count: number; session: string; startTs: (index: number) => number; durationMs: number; deviceId?: string },
): Promise<RegisteredChunk[]> {
  const sessionDir = join(deps.layout.recordingDir, options.session);
  mkdirSync(sessionDir, { recursive: true });
  const chunks: RegisteredChunk[] = [];
  for (let index = 0; index < options.count; index++) {
    const partPath = join(sessionDir, `seg-${String(index).padStart(6, "0")}.part`);
    copyFileSync(segmentFile, partPath);
    const startTs = options.startTs(index);
    const chunkId = chunkIdFor(options.deviceId ?? "00000000-0000-0000-0000-000000000003", options.session, index);
    const chunk = await registerSegment(deps, { partPath, chunkId, startTs, endTs: startTs + options.durationMs, salvaged: false });
    if (!chunk) throw new Error(`${segmentFile} did not register as a chunk`);
    chunks.push(chunk);
  }
  return chunks;
}

/** Marks a chunk uploaded and moves its file to sent/, as the uploader does once the core confirms it. */
export async function markSent(deps: SpoolDeps, chunk: RegisteredChunk): Promise<void> {
  const sentPath = chunk.path.replace("outbox/", "sent/");
  await deps.repository.markUploaded(chunk.chunkId, { path: sentPath, uploadedAt: deps.clock.now(), storedPath: "x" });
  await moveDurably(absoluteChunkPath(deps.layout, chunk.path), absoluteChunkPath(deps.layout, sentPath));
}
