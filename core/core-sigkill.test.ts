/**
 * SIGKILL of the core while recorders upload and an edge sends call results: after a restart on the
 * same data, everything the core acknowledged is there exactly once (rows, files with their bytes),
 * and sending everything again stores what was never acknowledged and duplicates nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chunkFileField, chunkUploadFormFields, chunkUploadPath } from "../shared/contracts/chunk-upload.ts";
import { openDatabase } from "../shared/db/open-database.ts";
import { sha256Hex } from "../shared/runtime/hashing.ts";
import { findFreePort } from "../shared/testing/free-port.ts";
import { type RunningNodeProcess, startNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { noiseChunk } from "./testing/test-audio.ts";

const adminToken = "sigkill-admin-4f8a2c9e1b7d3056";
let dir: TempDir;
let core: RunningNodeProcess | null = null;
let baseUrl: string;
let env: Record<string, string>;

async function startCore(): Promise<void> {
  core = await startNodeProcess(process.execPath, [join(import.meta.dir, "main.ts"), "serve"], { cwd: dir.path, env });
}

beforeAll(async () => {
  dir = makeTempDir("salescontrol-sigkill-");
  const port = await findFreePort();
  baseUrl = `http://127.0.0.1:${port}`;
  env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir.path, TMPDIR: process.env.TMPDIR ?? "/tmp", HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dir.join("core"), ADMIN_TOKEN: adminToken, VAD_IN_PROCESS: "false" };
  await startCore();
});
afterAll(async () => {
  if (core) await core.stop("SIGTERM");
  dir.remove();
});

async function admin(path: string, body: unknown): Promise<any> {
  const response = await fetch(`${baseUrl}${path}`, { method: "POST", headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

interface Chunk {
  device: { pointId: string; registerId: string; deviceId: string; token: string };
  chunkId: string;
  startTs: number;
  endTs: number;
}

function upload(chunk: Chunk, bytes: Uint8Array): Promise<Response> {
  const form = new FormData();
  const fields = chunkUploadFormFields({ ...chunk.device, startTs: chunk.startTs, endTs: chunk.endTs, sampleRate: 48000, channels: 1, chunkId: chunk.chunkId, sha256: sha256Hex(bytes) });
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  form.set(chunkFileField, new File([bytes as Uint8Array<ArrayBuffer>], "chunk.ogg", { type: "audio/ogg" }));
  return fetch(`${baseUrl}${chunkUploadPath}`, { method: "POST", body: form, headers: { authorization: `Bearer ${chunk.device.token}` } });
}

function sendCalls(key: string, uniqueids: string[]): Promise<Response> {
  const results = uniqueids.map((uniqueid) => ({ uniqueid, disposition: "SALE", duration: 42, campaignId: "KILL", callDate: "2026-01-15 09:00:00" }));
  return fetch(`${baseUrl}/api/v1/call-results/batch`, { method: "POST", headers: { "x-api-key": key, "content-type": "application/json" }, body: JSON.stringify({ results }) });
}

describe("SIGKILL of the core mid-stream", () => {
  test("loses and duplicates nothing it acknowledged", async () => {
    const bytes = await noiseChunk(1);
    const devices = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const device = { pointId: randomUUID(), registerId: randomUUID(), deviceId: randomUUID(), token: randomUUID().replaceAll("-", "") };
        await admin("/api/v1/admin/devices", { point_id: device.pointId, register_id: device.registerId, device_id: device.deviceId, token_plain: device.token });
        return device;
      }),
    );
    const tenant = await admin("/api/v1/admin/tenants", { name: "Killed" });
    const key = (await admin(`/api/v1/admin/tenants/${tenant.tenant.id}/api-keys`, { name: "edge", scopes: ["call_results", "stats"] })).key as string;

    const sent: Chunk[] = [];
    const acknowledged = new Set<string>();
    const sentCalls: string[][] = [];
    const acknowledgedCalls = new Set<string>();
    let killed = false;
    const start = Date.now() - 3_600_000;
    const uploaders = devices.map(async (device) => {
      for (let index = 0; !killed && index < 10_000; index++) {
        const chunk = { device, chunkId: randomUUID(), startTs: start + index * 1000, endTs: start + (index + 1) * 1000 };
        sent.push(chunk);
        try {
          const response = await upload(chunk, bytes);
          if (response.status === 200 && !((await response.json()) as { duplicate: boolean }).duplicate) acknowledged.add(chunk.chunkId);
        } catch {
          return;
        }
      }
    });
    const caller = (async () => {
      for (let batch = 0; !killed && batch < 10_000; batch++) {
        const uniqueids = Array.from({ length: 50 }, (_, index) => `${1_768_467_600 + batch}.${index}`);
        sentCalls.push(uniqueids);
        try {
          const response = await sendCalls(key, uniqueids);
          if (response.status === 200) for (const uniqueid of uniqueids) acknowledgedCalls.add(uniqueid);
        } catch {
          return;
        }
      }
    })();
    while (acknowledged.size < 40 || acknowledgedCalls.size < 500) await Bun.sleep(10);
    killed = true;
    expect(await core!.stop("SIGKILL")).toBe(137);
    core = null;
    await Promise.all([...uploaders, caller]);

    await startCore();
    const database = openDatabase({ url: `file:${join(env.DATA_DIR!, "core.db")}` });
    try {
      const rows = (await database.client.execute("SELECT chunk_id, sha256, stored_path FROM audio_chunks")).rows;
      const stored = new Map(rows.map((row) => [String(row.chunk_id), row]));
      expect(stored.size).toBe(rows.length);
      for (const chunkId of acknowledged) expect(stored.has(chunkId)).toBe(true);
      // Every row, acknowledged or not, has its whole file.
      for (const row of rows) {
        const path = join(env.DATA_DIR!, "audio", String(row.stored_path));
        expect(existsSync(path)).toBe(true);
        expect(sha256Hex(new Uint8Array(readFileSync(path)))).toBe(String(row.sha256));
      }
      const calls = new Set((await database.client.execute("SELECT uniqueid FROM call_results")).rows.map((row) => String(row.uniqueid)));
      for (const uniqueid of acknowledgedCalls) expect(calls.has(uniqueid)).toBe(true);
    } finally {
      database.close();
    }

    // The recorders and the edge send again what they have no answer for (and, to be sure, the rest too).
    for (const chunk of sent) {
      const response = await upload(chunk, bytes);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { chunk_id: string; duplicate: boolean };
      if (acknowledged.has(chunk.chunkId)) expect(body.duplicate).toBe(true);
    }
    for (const uniqueids of sentCalls) {
      const response = await sendCalls(key, uniqueids);
      const body = (await response.json()) as { data: { results: Array<{ uniqueid: string; outcome: string }> } };
      for (const item of body.data.results) if (acknowledgedCalls.has(item.uniqueid)) expect(item.outcome).toBe("unchanged");
    }
    const after = openDatabase({ url: `file:${join(env.DATA_DIR!, "core.db")}` });
    try {
      expect(Number((await after.client.execute("SELECT count(*) AS n FROM audio_chunks")).rows[0]!.n)).toBe(sent.length);
      expect(Number((await after.client.execute("SELECT count(*) AS n FROM jobs WHERE queue = 'vad'")).rows[0]!.n)).toBe(sent.length);
      expect(Number((await after.client.execute("SELECT count(*) AS n FROM call_results")).rows[0]!.n)).toBe(sentCalls.flat().length);
    } finally {
      after.close();
    }
  });
});
