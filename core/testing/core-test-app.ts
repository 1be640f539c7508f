import { randomUUID } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { loadConfig } from "../../shared/config/config-loader.ts";
import { inspectOggOpusFile } from "../ingest/ogg-opus-file.ts";
import { chunkFileField, chunkUploadFormFields, type ChunkUploadRequest, chunkUploadPath } from "../../shared/contracts/chunk-upload.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { MetricsRegistry } from "../../shared/http/metrics.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { createFakeClock, type FakeClock } from "../../shared/testing/fake-clock.ts";
import { openTempDatabase, type TempDatabase } from "../../shared/testing/temp-database.ts";
import { createCoreApp } from "../app.ts";
import { coreConfigSpec } from "../config.ts";
import { buildCoreDeps, type CoreDeps } from "../core-deps.ts";
import { migrations } from "../db/migrations.ts";
import * as schema from "../db/schema.ts";
import type { ChunkStorage } from "../ingest/chunk-storage.ts";
import type { AnalysisSettings } from "../pipeline/analysis/analysis-settings.ts";
import type { PipelineStages } from "../pipeline/pipeline-stage.ts";

export const testAdminToken = "adm-7f3k2q9x4m1p8z6w5r";
export const testInternalToken = "int-4n8b2v6c1x9z3l7k5j";

export interface TestCore {
  app: HttpApp;
  /** The deps the app runs on, built as `serve` builds them. */
  deps: CoreDeps;
  database: TempDatabase<typeof schema>;
  clock: FakeClock;
  config: ReturnType<typeof loadConfig<typeof coreConfigSpec>>["values"];
  metrics: MetricsRegistry;
  storage: ChunkStorage;
  analysisSettings: AnalysisSettings;
  /** A request as an admin (or with the headers given). */
  admin(path: string, init?: RequestInit): Promise<Response>;
  internal(path: string, init?: RequestInit): Promise<Response>;
  /** Registers a device and returns its identity and token. */
  registerDevice(overrides?: Partial<TestDevice>): Promise<TestDevice>;
  upload(device: TestDevice, chunk: Partial<ChunkUploadRequest> & { bytes: Uint8Array }, options?: { token?: string | null; fields?: Record<string, string | null> }): Promise<Response>;
  dispose(): void;
}

export interface TestDevice {
  pointId: string;
  registerId: string;
  deviceId: string;
  token: string;
}

/** The core app on a fresh database and audio directory, with a fake clock, wired by buildCoreDeps as `serve` wires it; nothing listens on a port. */
export async function createTestCore(
  env: Record<string, string> = {},
  options: { clock?: FakeClock; random?: () => number; stages?: PipelineStages } = {},
): Promise<TestCore> {
  const database = await openTempDatabase(migrations, schema);
  const clock = options.clock ?? createFakeClock();
  const config = loadConfig(coreConfigSpec, {
    env: { DATA_DIR: database.dir.path, ADMIN_TOKEN: testAdminToken, INTERNAL_TOKEN: testInternalToken, ...env },
    dotenvPath: null,
  }).values;
  const metrics = new MetricsRegistry();
  const deps = buildCoreDeps(config, database, clock, { logger: silentLogger, metrics, random: options.random, stages: options.stages });
  const app = createCoreApp(deps);
  const withToken = (token: string) => async (path: string, init: RequestInit = {}) =>
    await app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.body && typeof init.body === "string" ? { "content-type": "application/json" } : {}), ...(init.headers as Record<string, string>) } }, { remoteAddress: "198.51.100.20" });
  const admin = withToken(testAdminToken);
  return {
    app,
    deps,
    database,
    clock,
    config,
    metrics,
    storage: deps.storage,
    analysisSettings: deps.analysisSettings,
    admin,
    internal: withToken(testInternalToken),
    async registerDevice(overrides = {}) {
      const device: TestDevice = { pointId: randomUUID(), registerId: randomUUID(), deviceId: randomUUID(), token: `dev-${randomUUID()}`, ...overrides };
      const response = await admin("/api/v1/admin/devices", {
        method: "POST",
        body: JSON.stringify({ point_id: device.pointId, register_id: device.registerId, device_id: device.deviceId, token_plain: device.token }),
      });
      if (response.status !== 201) throw new Error(`device registration failed: ${response.status} ${await response.text()}`);
      return device;
    },
    async upload(device, chunk, options = {}) {
      const form = uploadForm(device, chunk, clock.now(), options.fields);
      const token = options.token === undefined ? device.token : options.token;
      return await app.request(chunkUploadPath, { method: "POST", body: form, headers: token === null ? {} : { authorization: `Bearer ${token}` } }, { remoteAddress: "198.51.100.30" });
    },
    dispose: () => database.dispose(),
  };
}

/** The audio's length from its granule positions, as a recorder measures its chunk (60 s for bytes that are not Ogg Opus, 1 ms for a file without audio). */
function audioLengthMs(bytes: Uint8Array): number {
  const file = inspectOggOpusFile(bytes);
  return "problem" in file ? 60_000 : Math.max(1, file.durationMs);
}

/** The multipart form a recorder sends; `fields` overrides (null removes) individual fields. */
export function uploadForm(device: TestDevice, chunk: Partial<ChunkUploadRequest> & { bytes: Uint8Array }, now: number, fields: Record<string, string | null> = {}): FormData {
  const startTs = chunk.startTs ?? now - 120_000;
  const request: ChunkUploadRequest = {
    pointId: device.pointId,
    registerId: device.registerId,
    deviceId: device.deviceId,
    startTs,
    endTs: chunk.endTs ?? startTs + audioLengthMs(chunk.bytes),
    sampleRate: 48000,
    channels: 1,
    chunkId: chunk.chunkId ?? randomUUID(),
    sha256: sha256Hex(chunk.bytes),
    ...chunk,
  };
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...chunkUploadFormFields(request), ...fields })) if (value !== null) form.append(name, value);
  form.append(chunkFileField, new File([chunk.bytes as Uint8Array<ArrayBuffer>], "chunk.ogg", { type: "audio/ogg" }));
  return form;
}

/** Every file under `root`, relative to it (none when it does not exist). */
export function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}
