/**
 * Sustained chunk uploads into the core: realistic 180 KB chunks (60 s of OGG/Opus at 24 kbps CBR)
 * from many registered recorders, through POST /api/v1/chunks on 127.0.0.1, beside a bare
 * Bun.serve handler that only writes each body to disk, measured in the same run with the same
 * client. The core runs as the compiled binary (or from source) with in-process VAD off, so the
 * figure is ingest alone; server CPU per upload is read from /proc, for the whole process and for its
 * main thread (where the JavaScript runs: what bounds the uploads one core serves).
 * Each subject is measured saturated (a fixed number of uploads in flight) and paced (170 uploads/s,
 * the rate of 10,000 recorders, started on schedule whatever the answers do).
 * With `--against <checkout>`, this source tree's core and the core of another checkout (an earlier
 * commit in a second worktree) both run from source, and rounds alternate between the bare
 * baseline and the two cores, saturated: each round's figures are read against the baseline of
 * the same round, so a machine whose speed drifts during the run moves all three alike.
 * With `--cpu-prof <dir>` as well, each core writes a CPU profile of its whole run there on exit
 * (`this.cpuprofile` and `other.cpuprofile`, for Chrome DevTools; `this.md` and `other.md`, summaries to read).
 *   bun run bench ingest [seconds per measurement] [concurrency] [--against <checkout> [--rounds N] [--cpu-prof <dir>]]
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { chunkUploadPath } from "../../shared/contracts/chunk-upload.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { type RunningNodeProcess, startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { binaryPath } from "../build.ts";
import { median, printTable } from "./bench-report.ts";
import { driveUploads, type LoadResult, measureLoad, multipartBody, realisticChunk, registerRecorders, type UploadRequest, uploadSequence } from "./load-drivers.ts";

const flag = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv.splice(at, 2)[1] : undefined;
};
const against = flag("--against");
const rounds = Number(flag("--rounds") ?? 6);
const profileFlag = flag("--cpu-prof");
const profileDir = profileFlag ? resolve(profileFlag) : undefined;
const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 32);
const recorders = 500;
const targetRate = 170;
const root = join(import.meta.dir, "../..");
const dir = makeTempDir("salescontrol-bench-ingest-");
const adminToken = `bench-${randomUUID()}`;

/** Open loop: uploads start at a fixed rate whatever the answers do, as recorders would. */
async function drivePaced(url: string, pid: number, rate: number, nextRequest: UploadRequest): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Array<Promise<void>> = [];
  const measurement = measureLoad(pid);
  const started = measurement.started;
  const total = Math.round(rate * seconds);
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const request = nextRequest();
    const sent = performance.now();
    inFlight.push(
      fetch(url, { method: "POST", body: request.body, headers: request.headers }).then(async (response) => {
        await response.text();
        latencies.push(performance.now() - sent);
        if (response.status !== 200) errors++;
      }),
    );
  }
  await Promise.all(inFlight);
  return measurement.finish(latencies, errors);
}

async function baselineServer(withFsync: boolean) {
  const source = dir.join(`baseline-${withFsync ? "fsync" : "plain"}.ts`);
  await Bun.write(
    source,
    `import { open } from "node:fs/promises";
let count = 0;
const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT), maxRequestBodySize: 64 * 1024 * 1024, async fetch(request) {
  const body = new Uint8Array(await request.arrayBuffer());
  const path = ${JSON.stringify(dir.join("baseline"))} + "/" + (count++) + ".bin";
  ${withFsync ? "const handle = await open(path, 'w'); await handle.writeFile(body); await handle.sync(); await handle.close();" : "await Bun.write(path, body);"}
  return Response.json({ status: "ok" });
} });
console.error(JSON.stringify({ msg: "serving", url: "http://127.0.0.1:" + server.port }));
process.on("SIGTERM", () => { server.stop(); process.exit(0); });\n`,
  );
  await runCommand("mkdir", ["-p", dir.join("baseline")]);
  return startNodeProcess(process.execPath, [source], { cwd: dir.path, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PORT: String(await findFreePort()) } });
}

/** A core with in-process VAD off, from `command args`, keeping its data under `dataDir`. */
async function startCore(command: string, args: string[], dataDir: string): Promise<RunningNodeProcess> {
  const env = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.path, DATA_DIR: dataDir, ADMIN_TOKEN: adminToken, HOST: "127.0.0.1", PORT: String(await findFreePort()), VAD_IN_PROCESS: "false", LOG_LEVEL: "info" };
  return startNodeProcess(command, args, { cwd: dir.path, env });
}

const coreSubject = "core POST /api/v1/chunks (validate, sha256, fsync file + dir, SQLite row + VAD job)";

async function measureOnce(file: Uint8Array): Promise<void> {
  const coreBinary = binaryPath("core", "x64");
  const useBinary = existsSync(coreBinary);
  console.log(
    `chunk ${(file.length / 1024).toFixed(0)} KB (60 s OGG/Opus 24 kbps CBR); ${concurrency} concurrent uploads for ${seconds} s per subject; ${recorders} recorders; core ${useBinary ? "binary dist/core-linux-x64" : "from source"}, VAD_IN_PROCESS=false\n`,
  );

  const rows: Array<Array<string | number>> = [];
  const addRow = (name: string, result: LoadResult) =>
    rows.push([name, result.uploads, result.errors, Math.round(result.perSecond), result.p50, result.p99, result.cpuMsPerUpload, Math.round(1000 / result.cpuMsPerUpload)]);

  const pacedRows: Array<Array<string | number>> = [];
  const addPacedRow = (name: string, result: LoadResult) => pacedRows.push([name, result.uploads, result.errors, Math.round(result.perSecond), result.p50, result.p99, result.cpuMsPerUpload]);
  for (const withFsync of [false, true]) {
    const baseline = await baselineServer(withFsync);
    const request = baselineRequest(file);
    const name = `bare Bun.serve writing the body${withFsync ? " + fsync" : ""} (baseline)`;
    addRow(name, await driveUploads(baseline.url, baseline.pid, { seconds, concurrency }, request));
    addPacedRow(name, await drivePaced(baseline.url, baseline.pid, targetRate, request));
    await baseline.stop();
  }

  const core = useBinary ? await startCore(coreBinary, ["serve"], dir.join("core-data")) : await startCore(process.execPath, [join(root, "core/main.ts"), "serve"], dir.join("core-data"));
  try {
    const nextUpload = uploadSequence(await registerRecorders(core.url, adminToken, recorders), file);
    addRow(coreSubject, await driveUploads(`${core.url}${chunkUploadPath}`, core.pid, { seconds, concurrency }, nextUpload));
    addPacedRow(coreSubject, await drivePaced(`${core.url}${chunkUploadPath}`, core.pid, targetRate, nextUpload));
  } finally {
    await core.stop();
  }

  console.log(`saturated: ${concurrency} uploads in flight at all times`);
  printTable(["subject", "uploads", "errors", "uploads/s", "p50 ms", "p99 ms", "server CPU ms/upload", "uploads/s per core (CPU)"], rows);
  console.log(`\npaced: ${targetRate} uploads/s started on schedule (10,000 recorders sending a 60 s chunk a minute)`);
  printTable(["subject", "uploads", "errors", "uploads/s", "p50 ms", "p99 ms", "server CPU ms/upload"], pacedRows);
  console.log("\ntarget: one core absorbs 10,000 recorders ≈ 170 chunks/s");
}

function baselineRequest(file: Uint8Array): UploadRequest {
  const boundary = `----bench${randomUUID()}`;
  const body = multipartBody({ note: "baseline" }, file, boundary);
  return () => ({ body, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } });
}

/** Rounds alternating the bare baseline, this checkout's core and the other checkout's, all from source. */
async function compareAgainst(file: Uint8Array, otherRoot: string): Promise<void> {
  console.log(
    `chunk ${(file.length / 1024).toFixed(0)} KB; ${concurrency} concurrent uploads for ${seconds} s per subject and round; ${rounds} rounds; ${recorders} recorders per core; both cores from source, VAD_IN_PROCESS=false\n`,
  );
  const baseline = await baselineServer(false);
  const targets: Array<{ name: string; url: string; pid: number; request: UploadRequest; stop(): Promise<number> }> = [
    { name: "bare Bun.serve writing the body (baseline)", url: baseline.url, pid: baseline.pid, request: baselineRequest(file), stop: () => baseline.stop() },
  ];
  try {
    for (const [index, checkout] of [root, otherRoot].entries()) {
      const profile = profileDir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${index === 0 ? "this" : "other"}`] : [];
      const core = await startCore(process.execPath, [...profile, join(checkout, "core/main.ts"), "serve"], dir.join(`core-data-${index}`));
      const name = `core ${index === 0 ? "of this checkout" : `of ${otherRoot}`}`;
      targets.push({ name, url: `${core.url}${chunkUploadPath}`, pid: core.pid, request: uploadSequence(await registerRecorders(core.url, adminToken, recorders), file), stop: () => core.stop() });
    }
    for (const target of targets) await driveUploads(target.url, target.pid, { seconds: 2, concurrency }, target.request);
    const results = targets.map(() => [] as LoadResult[]);
    const rows: Array<Array<string | number>> = [];
    for (let round = 0; round < rounds; round++) {
      for (const index of round % 2 === 0 ? [0, 1, 2] : [0, 2, 1]) {
        const result = await driveUploads(targets[index]!.url, targets[index]!.pid, { seconds, concurrency }, targets[index]!.request);
        results[index]!.push(result);
        const bare = results[0]![round]!;
        rows.push([
          round + 1,
          targets[index]!.name,
          result.uploads,
          result.errors,
          Math.round(result.perSecond),
          result.cpuMsPerUpload,
          result.mainThreadCpuMsPerUpload,
          result.perSecond / bare.perSecond,
          result.cpuMsPerUpload / bare.cpuMsPerUpload,
        ]);
      }
    }
    printTable(["round", "subject", "uploads", "errors", "uploads/s", "server CPU ms/upload", "main thread CPU ms", "uploads/s ÷ baseline's", "CPU ms ÷ baseline's"], rows);
    const perRound = (index: number, figure: (result: LoadResult, bare: LoadResult) => number) => median(results[index]!.map((result, round) => figure(result, results[0]![round]!)));
    console.log(`\nmedians over ${rounds} rounds`);
    printTable(
      ["subject", "uploads/s", "server CPU ms/upload", "main thread CPU ms", "uploads/s ÷ baseline's", "CPU ms ÷ baseline's"],
      targets.map((target, index) => [
        target.name,
        Math.round(perRound(index, (result) => result.perSecond)),
        perRound(index, (result) => result.cpuMsPerUpload),
        perRound(index, (result) => result.mainThreadCpuMsPerUpload),
        perRound(index, (result, bare) => result.perSecond / bare.perSecond),
        perRound(index, (result, bare) => result.cpuMsPerUpload / bare.cpuMsPerUpload),
      ]),
    );
    const paired = (figure: (result: LoadResult) => number) => median(results[1]!.map((result, round) => figure(result) / figure(results[2]![round]!)));
    console.log(
      `\nthis checkout ÷ the other, pair by pair (median): uploads/s ${paired((result) => result.perSecond).toFixed(3)}, server CPU ms/upload ${paired((result) => result.cpuMsPerUpload).toFixed(3)}, main thread's CPU ms/upload ${paired((result) => result.mainThreadCpuMsPerUpload).toFixed(3)}`,
    );
  } finally {
    for (const target of targets) await target.stop();
  }
}

try {
  const file = await realisticChunk(dir);
  if (against) await compareAgainst(file, against);
  else await measureOnce(file);
} finally {
  dir.remove();
}
