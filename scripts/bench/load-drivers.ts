/**
 * Load generators shared by the benchmarks: chunk uploads into a core (as the recorders send them)
 * and wrk runs against lookup URLs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { chunkFileField, chunkUploadFormFields } from "../../shared/contracts/chunk-upload.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import type { TempDir } from "../../shared/testing/temp-dir.ts";
import { percentile, processCpuSeconds, threadCpuSeconds } from "./bench-report.ts";

/** A chunk as the recorder's ffmpeg writes it: 60 s, OGG/Opus 24 kbps constant bitrate. */
export async function realisticChunk(dir: TempDir): Promise<Uint8Array> {
  const path = dir.join("chunk.ogg");
  const made = await runCommand("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.05:sample_rate=48000:duration=60",
    "-ac", "1", "-c:a", "libopus", "-b:a", "24k", "-vbr", "off", path,
  ]);
  if (made.code !== 0) throw new Error(made.stderr);
  return new Uint8Array(readFileSync(path));
}

/** multipart/form-data assembled by hand so the client spends little CPU per upload. */
export function multipartBody(fields: Record<string, string>, file: Uint8Array, boundary: string): Uint8Array {
  let head = "";
  for (const [name, value] of Object.entries(fields)) head += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${chunkFileField}"; filename="chunk.ogg"\r\nContent-Type: audio/ogg\r\n\r\n`;
  const headBytes = new TextEncoder().encode(head);
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(headBytes.length + file.length + tail.length);
  body.set(headBytes);
  body.set(file, headBytes.length);
  body.set(tail, headBytes.length + file.length);
  return body;
}

export interface BenchRecorder {
  pointId: string;
  registerId: string;
  deviceId: string;
  token: string;
  nextStart: number;
}

/** Registers `count` recorders through the core's admin API; their chunks start 30 days ago. */
export async function registerRecorders(coreUrl: string, adminToken: string, count: number): Promise<BenchRecorder[]> {
  const fleet: BenchRecorder[] = [];
  const firstStart = Date.now() - 30 * 86_400_000;
  for (let index = 0; index < count; index++) {
    const recorder = { pointId: randomUUID(), registerId: randomUUID(), deviceId: randomUUID(), token: randomUUID(), nextStart: firstStart };
    const response = await fetch(`${coreUrl}/api/v1/admin/devices`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ point_id: recorder.pointId, register_id: recorder.registerId, device_id: recorder.deviceId, token_plain: recorder.token }),
    });
    if (response.status !== 201) throw new Error(`registering a recorder failed: ${response.status} ${await response.text()}`);
    fleet.push(recorder);
  }
  return fleet;
}

/** The fleet's next uploads in turn, each recorder's chunks one minute apart. */
export function uploadSequence(fleet: BenchRecorder[], file: Uint8Array): UploadRequest {
  const sha256 = sha256Hex(file);
  let turn = 0;
  return () => {
    const recorder = fleet[turn++ % fleet.length]!;
    const startTs = recorder.nextStart;
    recorder.nextStart += 60_000;
    const boundary = `----chunk${turn}`;
    const fields = chunkUploadFormFields({ ...recorder, startTs, endTs: startTs + 60_000, sampleRate: 48000, channels: 1, chunkId: randomUUID(), sha256 });
    return { body: multipartBody(fields, file, boundary), headers: { authorization: `Bearer ${recorder.token}`, "content-type": `multipart/form-data; boundary=${boundary}` } };
  };
}

export interface LoadResult {
  uploads: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
  cpuMsPerUpload: number;
  /** The part of it spent on the main thread, where the node's JavaScript runs. */
  mainThreadCpuMsPerUpload: number;
}

export type UploadRequest = () => { body: Uint8Array; headers: Record<string, string> };

/** `concurrency` clients upload back to back for `seconds`; every answer must be 200. */
export async function driveUploads(url: string, pid: number, load: { seconds: number; concurrency: number }, nextRequest: UploadRequest): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError = "";
  const measurement = measureLoad(pid);
  const deadline = measurement.started + load.seconds * 1000;
  await Promise.all(
    Array.from({ length: load.concurrency }, async () => {
      while (performance.now() < deadline) {
        const request = nextRequest();
        const sent = performance.now();
        const response = await fetch(url, { method: "POST", body: request.body, headers: request.headers });
        const text = await response.text();
        latencies.push(performance.now() - sent);
        if (response.status !== 200) {
          errors++;
          firstError ||= `${response.status} ${text.slice(0, 200)}`;
        }
      }
    }),
  );
  if (errors > 0) console.error(`${errors} uploads failed, first: ${firstError}`);
  return measurement.finish(latencies, errors);
}

/** Starts measuring a server under load: `finish` gives its figures once every upload is answered. */
export function measureLoad(pid: number): { started: number; finish(latencies: number[], errors: number): LoadResult } {
  const cpuBefore = processCpuSeconds(pid).own;
  const mainThreadBefore = threadCpuSeconds(pid);
  const started = performance.now();
  return {
    started,
    finish(latencies, errors) {
      const elapsed = (performance.now() - started) / 1000;
      const cpu = processCpuSeconds(pid).own - cpuBefore;
      const mainThreadCpu = threadCpuSeconds(pid) - mainThreadBefore;
      return {
        uploads: latencies.length,
        errors,
        perSecond: latencies.length / elapsed,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        cpuMsPerUpload: (cpu * 1000) / latencies.length,
        mainThreadCpuMsPerUpload: (mainThreadCpu * 1000) / latencies.length,
      };
    },
  };
}

export interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

export async function runWrk(url: string, script: string, duration: number): Promise<WrkResult> {
  const result = await runCommand("wrk", ["-t2", "-c50", `-d${duration}s`, "--latency", "-s", script, url]);
  if (result.code !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(result.stdout)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(result.stdout);
  const unit = p99?.[2] === "us" ? 0.001 : p99?.[2] === "s" ? 1000 : 1;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(result.stdout);
  const socketErrors = socket ? socket.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0;
  return { requestsPerSecond: rps, p99Ms: Number(p99?.[1]) * unit, errors: non2xx + socketErrors };
}

/** A wrk script requesting `pattern` (one %d) with a random number from first to last. */
export function randomPathScript(dir: TempDir, name: string, pattern: string, first: number, last: number): string {
  const path = dir.join(`${name}.lua`);
  writeFileSync(path, `math.randomseed(${Date.now() % 100000})\nrequest = function()\n  return wrk.format("GET", string.format("${pattern}", math.random(${first}, ${last})))\nend\n`);
  return path;
}

/** Rounds alternate between the targets, so load from elsewhere on the machine hits them alike; figures are means. */
export async function measureAlternating(targets: Array<{ name: string; url: string; script: string }>, seconds: number, log: (message: string) => void, rounds = 2): Promise<WrkResult[]> {
  const runs = targets.map(() => [] as WrkResult[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, target] of targets.entries()) {
      log(`wrk round ${round + 1}/${rounds}: ${target.name}…`);
      runs[index]!.push(await runWrk(target.url, target.script, seconds));
    }
  }
  return runs.map((results) => ({
    requestsPerSecond: results.reduce((sum, result) => sum + result.requestsPerSecond, 0) / results.length,
    p99Ms: results.reduce((sum, result) => sum + result.p99Ms, 0) / results.length,
    errors: results.reduce((sum, result) => sum + result.errors, 0),
  }));
}
