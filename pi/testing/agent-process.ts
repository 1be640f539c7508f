import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import { openDatabase } from "../../shared/db/open-database.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { type RunningNodeProcess, startNodeProcess } from "../../shared/testing/node-process.ts";
import type { TempDir } from "../../shared/testing/temp-dir.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { decodeOggOpus } from "./audio-fixtures.ts";
import type { StoredChunk } from "./local-ingest-server.ts";

export const testDevice = {
  pointId: "00000000-0000-0000-0000-000000000001",
  registerId: "00000000-0000-0000-0000-000000000002",
  deviceId: "00000000-0000-0000-0000-000000000003",
  token: "device-token-0123456789",
};

/** The environment a test recorder runs with: a generated tone instead of a microphone, short chunks, fast retries. */
export function agentEnvironment(dir: TempDir, ingestUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir.path,
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    RA_POINT_ID: testDevice.pointId,
    RA_REGISTER_ID: testDevice.registerId,
    RA_DEVICE_ID: testDevice.deviceId,
    RA_INGEST_BASE_URL: ingestUrl,
    RA_INGEST_TOKEN: testDevice.token,
    RA_AUDIO_INPUT: "lavfi:sine=frequency=440:sample_rate=48000",
    RA_CHUNK_SECONDS: "1",
    RA_SCHEDULE_START: "00:00",
    RA_SCHEDULE_END: "00:00",
    RA_RETRY_MIN_S: "0.2",
    RA_RETRY_MAX_S: "1",
    RA_HEALTH_PORT: "0",
    RA_DATA_DIR: dir.join("data/pi"),
    RA_SPOOL_DIR: dir.join("data/pi/spool"),
    ...overrides,
  };
}

/** A schedule window that excludes the present (local time): the agent only uploads what is queued. */
export function closedScheduleWindow(): Record<string, string> {
  const at = (offsetHours: number) => {
    const date = new Date(Date.now() + offsetHours * 3600_000);
    return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
  };
  return { RA_SCHEDULE_START: at(2), RA_SCHEDULE_END: at(3) };
}

export function startAgentProcess(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<RunningNodeProcess> {
  return startNodeProcess(command, args, { env, cwd, timeoutMs: 30_000 });
}

/** A recorder whose /health a test reads: a running process, or the app in the test's own process. */
export type HealthSource = RunningNodeProcess | HttpApp;

/** The full report, as a caller on the Pi itself gets it. */
export async function readHealth(source: HealthSource): Promise<Record<string, any>> {
  const response = "pid" in source ? await fetch(`${source.url}/health`) : await source.request("/health", {}, { remoteAddress: "127.0.0.1" });
  return (await response.json()) as Record<string, any>;
}

/** Reads /health until `condition` holds (the agent's loops run on their own); fails with the last report. */
export async function waitForHealth(source: HealthSource, description: string, condition: (report: Record<string, any>) => boolean, timeoutMs = 30_000): Promise<Record<string, any>> {
  let report: Record<string, any> = {};
  try {
    await waitUntil(`health showing ${description}`, async () => condition((report = await readHealth(source))), timeoutMs, 50);
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${JSON.stringify(report)}`);
  }
  return report;
}

export interface JournalRow {
  id: string;
  state: string;
  startTs: number;
  endTs: number;
  audioMs: number;
  sha256: string;
  path: string;
  discardReason: string | null;
}

/** The recorder's journal, read from its database file after the agent stopped. */
export async function readJournal(dir: TempDir): Promise<JournalRow[]> {
  const database = openDatabase({ url: `file:${join(dir.path, "data/pi/pi.db")}` });
  try {
    const result = await database.client.execute("SELECT id, state, start_ts, end_ts, audio_ms, sha256, path, discard_reason FROM chunks ORDER BY start_ts");
    return result.rows.map((row) => ({
      id: String(row.id),
      state: String(row.state),
      startTs: Number(row.start_ts),
      endTs: Number(row.end_ts),
      audioMs: Number(row.audio_ms),
      sha256: String(row.sha256),
      path: String(row.path),
      discardReason: row.discard_reason === null ? null : String(row.discard_reason),
    }));
  } finally {
    database.close();
  }
}

/** A chunk as an ingest stored it: the local one's record, or a row and file of the real core. */
export type DeliveredChunk = Pick<StoredChunk, "chunkId" | "sha256" | "bytes"> & { fields: Pick<StoredChunk["fields"], "start_ts" | "end_ts"> };

/**
 * Exactly once, in order: every chunk of the journal reached the ingest once with the same bytes,
 * the ingest stored them in recording order (`stored` in arrival order), and each is a valid Ogg
 * Opus file whose decoded length matches its wall-clock span. Returns the stored chunks.
 */
/** The chunks a core stored (read from its database and audio directory), in the order it stored them. */
export async function chunksStoredByCore(client: Client, audioDir: string): Promise<DeliveredChunk[]> {
  const rows = await client.execute("SELECT chunk_id, sha256, start_ts, end_ts, stored_path FROM audio_chunks ORDER BY rowid");
  return rows.rows.map((row) => ({
    chunkId: String(row.chunk_id),
    sha256: String(row.sha256),
    fields: { start_ts: Number(row.start_ts), end_ts: Number(row.end_ts) },
    bytes: new Uint8Array(readFileSync(join(audioDir, String(row.stored_path)))),
  }));
}

export async function expectDeliveredExactlyOnce<T extends DeliveredChunk>(dir: TempDir, stored: T[], expect: typeof import("bun:test").expect): Promise<T[]> {
  const journal = (await readJournal(dir)).filter((row) => row.state !== "discarded");
  expect(journal.every((row) => row.state === "uploaded")).toBe(true);
  expect(stored.map((chunk) => chunk.chunkId)).toEqual(journal.map((row) => row.id));
  for (const [index, chunk] of stored.entries()) {
    const row = journal[index]!;
    expect(chunk.sha256).toBe(row.sha256);
    expect([chunk.fields.start_ts, chunk.fields.end_ts]).toEqual([row.startTs, row.endTs]);
    const decoded = await decodeOggOpus(chunk.bytes);
    expect(decoded.errors).toBe(0);
    expect(Math.abs(decoded.samples / 48 - (row.endTs - row.startTs))).toBeLessThan(25);
  }
  return stored;
}

/**
 * The recorder against a real core: it records until three chunks reached the core, stops (SIGTERM
 * exits 0), and a run outside the schedule delivers the chunk finished at the stop; every chunk
 * then arrived once, at the first attempt, and decodes.
 */
export async function expectRecordingDeliveredToCore(options: {
  dir: TempDir;
  startRecorder: (overrides?: Record<string, string>) => Promise<RunningNodeProcess>;
  stopRecorder: (recorder: RunningNodeProcess) => Promise<number>;
  storedByCore: () => Promise<DeliveredChunk[]>;
  expect: typeof import("bun:test").expect;
}): Promise<void> {
  const { expect } = options;
  const recorder = await options.startRecorder();
  await waitUntil("three chunks stored by the core", async () => (await options.storedByCore()).length >= 3, 60_000, 100);
  expect(await options.stopRecorder(recorder)).toBe(0);
  const drain = await options.startRecorder(closedScheduleWindow());
  const drained = await waitForHealth(drain, "an empty queue", (report) => report.queue_size === 0);
  expect(await options.stopRecorder(drain)).toBe(0);
  // No field, format or clock the core refused.
  expect(drained).toMatchObject({ upload_errors_total: 0, rejected_total: 0 });
  const stored = await expectDeliveredExactlyOnce(options.dir, await options.storedByCore(), expect);
  expect(stored.length).toBeGreaterThanOrEqual(3);
}
