/**
 * The recorder's cost on the machine, each figure beside a baseline measured in the same run:
 *  1. CPU and RSS of the compiled recorder (dist/pi-linux-x64) while it records and uploads,
 *     beside ffmpeg alone recording the same input with the same arguments;
 *  2. how fast a one-hour backlog (60 chunks of ~180 kB, as after an hour-long outage) drains to
 *     a local ingest, beside a bare loop that POSTs the same files to the same ingest.
 *   bun run bench recorder [record seconds = 60] [chunk seconds = 10] [backlog chunks = 60]
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { applyMigrations } from "../../shared/db/migrations.ts";
import { openDatabase } from "../../shared/db/open-database.ts";
import { chunkUploadFormFields, chunkUploadPath } from "../../shared/contracts/chunk-upload.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import { runCommand, spawnProcess } from "../../shared/runtime/process.ts";
import { startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { migrations } from "../../pi/db/migrations.ts";
import * as schema from "../../pi/db/schema.ts";
import { recordingArguments } from "../../pi/recorder/ffmpeg-command.ts";
import { repairOggOpus } from "../../pi/recorder/ogg-opus.ts";
import { chunkIdFor } from "../../pi/spool/spool.usecases.ts";
import { agentEnvironment, closedScheduleWindow, testDevice, waitForHealth } from "../../pi/testing/agent-process.ts";
import { startLocalIngestServer } from "../../pi/testing/local-ingest-server.ts";
import { createSpoolDeps, registerCopies } from "../../pi/testing/test-spool.ts";
import { binaryPath } from "../build.ts";
import { median, printTable, processCpuSeconds, residentMegabytes } from "./bench-report.ts";

const recordSeconds = Number(process.argv[2] ?? 60);
const chunkSeconds = Number(process.argv[3] ?? 10);
const backlogChunks = Number(process.argv[4] ?? 60);
const input = "lavfi:sine=frequency=440:sample_rate=48000";

const binary = binaryPath("pi", "x64");
if (!existsSync(binary)) throw new Error(`${binary} missing: run npm run build`);

interface ResidentSamples {
  median: number;
  peak: number;
  anonymous: number;
  file: number;
}

/** Samples RSS every second for `seconds`; medians, and the peak of the total. */
async function sampleResident(pid: () => number | null, seconds: number): Promise<ResidentSamples> {
  const samples: Array<ReturnType<typeof residentMegabytes>> = [];
  for (let second = 0; second < seconds; second++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const current = pid();
    if (current !== null && existsSync(`/proc/${current}`)) samples.push(residentMegabytes(current));
  }
  const totals = samples.map((sample) => sample.total);
  return { median: median(totals), peak: Math.max(...totals), anonymous: median(samples.map((sample) => sample.anonymous)), file: median(samples.map((sample) => sample.file)) };
}

async function ffmpegAlone(dir: TempDir) {
  const sessionDir = dir.join("ffmpeg-alone");
  mkdirSync(sessionDir, { recursive: true });
  const args = recordingArguments({ source: { kind: "lavfi", graph: input.slice("lavfi:".length) }, sampleRate: 48000, bitrateKbps: 24, chunkSeconds, sessionDir });
  const child = spawnProcess("ffmpeg", args, { stderr: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const before = processCpuSeconds(child.pid);
  const resident = await sampleResident(() => child.pid, recordSeconds);
  const after = processCpuSeconds(child.pid);
  child.kill("SIGINT");
  await child.exited;
  return { cpuPercent: ((after.own - before.own) / recordSeconds) * 100, resident };
}

async function recorderAgent(dir: TempDir) {
  const ingest = await startLocalIngestServer({ devices: { [testDevice.token]: testDevice.deviceId } });
  const env = { ...agentEnvironment(dir, ingest.url, { RA_CHUNK_SECONDS: String(chunkSeconds), RA_AUDIO_INPUT: input }), PATH: "/usr/bin:/bin" };
  const agent = await startNodeProcess(binary, ["serve"], { env, cwd: dir.path });
  let ffmpegPid: number | null = null;
  await waitForHealth(agent, "recording", (report) => {
    ffmpegPid = report.recorder.pid;
    return report.recording === true;
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const agentBefore = processCpuSeconds(agent.pid);
  const ffmpegBefore = processCpuSeconds(ffmpegPid!);
  const resident = await sampleResident(() => agent.pid, recordSeconds);
  const agentAfter = processCpuSeconds(agent.pid);
  const ffmpegAfter = processCpuSeconds(ffmpegPid!);
  const uploaded = ingest.stored().length;
  await agent.stop("SIGTERM");
  await ingest.stop();
  return {
    agentPercent: ((agentAfter.own - agentBefore.own) / recordSeconds) * 100,
    probesPercent: ((agentAfter.reapedChildren - agentBefore.reapedChildren) / recordSeconds) * 100,
    ffmpegPercent: ((ffmpegAfter.own - ffmpegBefore.own) / recordSeconds) * 100,
    resident,
    uploaded,
  };
}

/** An hour of ~180 kB chunks queued in a recorder's spool, as after an hour without network. */
async function prefillBacklog(dir: TempDir, chunk: string) {
  const database = openDatabase({ url: `file:${dir.join("data/pi/pi.db")}` }, schema);
  await applyMigrations(database.client, migrations);
  const hourAgo = Date.now() - 3600_000;
  const spool = createSpoolDeps(database.db, dir.join("data/pi/spool"));
  await registerCopies(spool, chunk, { count: backlogChunks, session: "outage", startTs: (index) => hourAgo + index * 60_000, durationMs: 60_000, deviceId: testDevice.deviceId });
  database.close();
}

async function drainBacklog(dir: TempDir, chunk: string) {
  await prefillBacklog(dir, chunk);
  const ingest = await startLocalIngestServer({ devices: { [testDevice.token]: testDevice.deviceId } });
  const env = { ...agentEnvironment(dir, ingest.url, { ...closedScheduleWindow() }), PATH: "/usr/bin:/bin" };
  const started = Date.now();
  const agent = await startNodeProcess(binary, ["serve"], { env, cwd: dir.path });
  await ingest.waitFor("the backlog", () => ingest.stored().length === backlogChunks, 600_000);
  const seconds = (Date.now() - started) / 1000;
  const arrivals = ingest.stored().map((chunk) => chunk.receivedAt);
  const steadySeconds = (arrivals[arrivals.length - 1]! - arrivals[0]!) / 1000;
  await agent.stop("SIGTERM");
  await ingest.stop();
  return { seconds, chunksPerSecond: backlogChunks / seconds, steadyChunksPerSecond: (backlogChunks - 1) / steadySeconds, steadySeconds };
}

/** The same files POSTed one after another by a bare loop: what the ingest and transport allow. */
async function bareUploadLoop(chunk: string) {
  const ingest = await startLocalIngestServer({ devices: { [testDevice.token]: testDevice.deviceId } });
  // As the recorder sends a segment: closed with the end-of-stream flag the segment muxer leaves out.
  const { bytes } = repairOggOpus(new Uint8Array(readFileSync(chunk)));
  const sha256 = sha256Hex(bytes);
  const started = performance.now();
  for (let index = 0; index < backlogChunks; index++) {
    const form = new FormData();
    const startTs = Date.now() - 3600_000 + index * 60_000;
    const fields = chunkUploadFormFields({ ...testDevice, startTs, endTs: startTs + 60_000, sampleRate: 48000, channels: 1, chunkId: chunkIdFor(testDevice.deviceId, "bare", index), sha256 });
    for (const [name, value] of Object.entries(fields)) form.set(name, value);
    form.set("chunk_file", new Blob([bytes], { type: "audio/ogg" }), `${index}.ogg`);
    const response = await fetch(`${ingest.url}${chunkUploadPath}`, { method: "POST", body: form, headers: { authorization: `Bearer ${testDevice.token}` } });
    if (response.status !== 200) throw new Error(`bare upload answered ${response.status}`);
  }
  const seconds = (performance.now() - started) / 1000;
  await ingest.stop();
  return { seconds, chunksPerSecond: backlogChunks / seconds };
}

const work = makeTempDir("salescontrol-bench-recorder-");
try {
  const note = chunkSeconds < 60 ? ` (the shop default is 60 s, where per-chunk costs weigh ${(60 / chunkSeconds).toFixed(0)}x less)` : "";
  console.log(`recording ${input} for ${recordSeconds} s in ${chunkSeconds}-second chunks${note}\n`);
  const alone = await ffmpegAlone(work);
  const agentDir = makeTempDir("salescontrol-bench-agent-");
  const agent = await recorderAgent(agentDir);
  agentDir.remove();
  printTable(
    ["while recording", "CPU % of one core", "RSS MB (median)", "RSS MB (peak)", "private MB", "file-backed MB"],
    [
      ["ffmpeg alone (baseline)", alone.cpuPercent, alone.resident.median, alone.resident.peak, alone.resident.anonymous, alone.resident.file],
      ["ffmpeg under the recorder", agent.ffmpegPercent, "", "", "", ""],
      ["recorder process (pi-linux-x64)", agent.agentPercent, agent.resident.median, agent.resident.peak, agent.resident.anonymous, agent.resident.file],
      ["level probes (ffmpeg volumedetect per chunk)", agent.probesPercent, "", "", "", ""],
      ["recorder overhead (process + probes)", agent.agentPercent + agent.probesPercent, "", "", "", ""],
    ],
  );
  console.log("\nfile-backed pages are the executable's clean code pages (the kernel drops them under pressure); private is the recorder's own heap");
  console.log(`\n${agent.uploaded} chunks recorded and uploaded during the measurement; targets: overhead a few % of one core, RSS under 60 MB\n`);

  const noise = work.join("minute.part");
  // A minute at 24 kbit/s is ~180 kB, as a busy shop floor fills it; pink noise at a constant rate.
  const encoded = await runCommand("ffmpeg", ["-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.3:sample_rate=48000", "-t", "60", "-map", "0:a", "-ac", "1", "-c:a", "libopus", "-b:a", "24k", "-vbr", "off", "-f", "segment", "-segment_time", "3600", "-segment_format", "ogg", "-reset_timestamps", "1", `${noise}.%03d`]);
  if (encoded.code !== 0) throw new Error(encoded.stderr);
  copyFileSync(`${noise}.000`, noise);
  const size = readFileSync(noise).length;
  const bare = await bareUploadLoop(noise);
  const drainDir = makeTempDir("salescontrol-bench-drain-");
  const drain = await drainBacklog(drainDir, noise);
  drainDir.remove();
  printTable(
    [`draining ${backlogChunks} chunks of ${(size / 1000).toFixed(0)} kB`, "seconds", "chunks/s", "MB/s"],
    [
      ["bare POST loop to the same ingest (baseline)", bare.seconds, bare.chunksPerSecond, (bare.chunksPerSecond * size) / 1e6],
      ["recorder after a one-hour outage (start to last chunk)", drain.seconds, drain.chunksPerSecond, (drain.chunksPerSecond * size) / 1e6],
      ["recorder, first to last chunk (without its start-up)", drain.steadySeconds, drain.steadyChunksPerSecond, (drain.steadyChunksPerSecond * size) / 1e6],
    ],
  );
  console.log(`\nan hour of recording drains in ${drain.seconds.toFixed(1)} s against a local ingest; over a real uplink the network is the limit`);
} finally {
  work.remove();
}
