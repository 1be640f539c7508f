/**
 * The edge's campaign figures, each beside a baseline measured in the same run:
 *   - import of a package (100,000 leads, 10,000 audio files by default): time and peak RSS of
 *     `salescontrol-edge import`, beside `unzip` + `sqlite3 .import` of the same data;
 *   - lead lookups/s and p99 at 50 connections (wrk), beside a bare Bun.serve + bun:sqlite
 *     prepared-statement server and nginx serving the same data as static JSON files;
 *   - audio requests/s at 50 connections, beside nginx serving the same files;
 *   - lead lookup p50/p99 (4 clients one request at a time) while the serving edge imports a
 *     300,000-lead package uploaded through the operator API, beside the same with no import, in
 *     three alternating rounds.
 *   bun run bench edge-campaign [leads] [audio files] [seconds per load test] [leads in the concurrent import]
 * Needs the x64 binary (npm run build), nginx-light, wrk, unzip, sqlite3, curl and GNU time.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { generateCampaignPackage } from "../campaign-package/generate-campaign-package.ts";
import { runCommand, spawnProcess, type ChildProcessHandle } from "../../shared/runtime/process.ts";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { processesRunning, threadCpus } from "../../shared/testing/linux-processes.ts";
import { startNodeProcess } from "../../shared/testing/node-process.ts";
import { stagingProcessCommand } from "../../edge/importer/package-staging-helper.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { binaryPath } from "../build.ts";
import { median, printTable } from "./bench-report.ts";
import { measureAlternating, randomPathScript, runWrk } from "./load-drivers.ts";

const leadCount = Number(process.argv[2] ?? 100_000);
const audioCount = Number(process.argv[3] ?? 10_000);
const seconds = Number(process.argv[4] ?? 10);
const concurrentImportLeads = Number(process.argv[5] ?? 300_000);
const root = join(import.meta.dir, "../..");
const binary = binaryPath("edge", "x64");
if (!existsSync(binary)) throw new Error(`${binary} missing: run npm run build`);

const work = makeTempDir("salescontrol-edge-bench-");
// nginx's worker runs as nobody and must reach the files.
chmodSync(work.path, 0o755);
const children: ChildProcessHandle[] = [];
const cleanUp = () => {
  for (const child of children) child.kill("SIGTERM");
};
process.on("exit", cleanUp);

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Runs a command under GNU time: wall seconds and peak RSS in MB. */
async function timed(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ seconds: number; peakMb: number; stdout: string; code: number }> {
  const result = await runCommand("/usr/bin/time", ["-f", "%e %M", command, ...args], { cwd: options.cwd, env: options.env ?? (process.env as Record<string, string>) });
  const match = /(\d+(?:\.\d+)?) (\d+)\s*$/.exec(result.stderr.trim());
  if (!match) throw new Error(`${command} ${args.join(" ")}: no timing in ${result.stderr.slice(-500)}`);
  return { seconds: Number(match[1]), peakMb: Number(match[2]) / 1024, stdout: result.stdout, code: result.code };
}

async function waitForHttp(url: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    await Bun.sleep(25);
  }
  throw new Error(`${url} never answered`);
}

// --- the package -------------------------------------------------------------------------------
const cacheDirectory = join(root, ".cache/bench");
mkdirSync(cacheDirectory, { recursive: true });
const packagePath = join(cacheDirectory, `edge-campaign-${leadCount}-${audioCount}.zip`);
if (!existsSync(packagePath)) {
  log(`generating ${packagePath} (${leadCount} leads, ${audioCount} audio files; espeak-ng phrases are cached)…`);
  await generateCampaignPackage({ outPath: packagePath, leads: leadCount, audioFiles: audioCount, campaignId: "BENCH" });
}
const packageMb = Bun.file(packagePath).size / 1e6;

// --- import --------------------------------------------------------------------------------------
const edgeData = work.join("edge");
mkdirSync(work.join("tmp"), { recursive: true });
const edgeEnv = { PATH: "/usr/bin:/bin", HOME: work.path, TMPDIR: work.join("tmp"), DATA_DIR: edgeData, LOG_LEVEL: "warn" };
log("importing with salescontrol-edge import…");
const ours = await timed(binary, ["import", packagePath], { env: edgeEnv });
if (ours.code !== 0) throw new Error(`edge import failed:\n${ours.stdout}`);
const importId = Number(/\(import (\d+)\)/.exec(ours.stdout)?.[1] ?? 1);

log("importing with unzip + sqlite3 .import…");
const extracted = work.join("unzipped");
const unzip = await timed("unzip", ["-q", packagePath, "-d", extracted]);
const sqliteDatabase = work.join("baseline.db");
const sqliteImport = await timed("sqlite3", [sqliteDatabase, ".mode csv", ".import leads.csv leads", "CREATE UNIQUE INDEX leads_id ON leads(lead_id);"], { cwd: extracted });
if (unzip.code !== 0 || sqliteImport.code !== 0) throw new Error("the baseline import failed");

// --- servers -------------------------------------------------------------------------------------
const benchOperator = { username: "bench", password: "bench-password-0123" };
const operatorAdded = await runCommand("sh", ["-c", `printf '%s\\n' '${benchOperator.password}' | '${binary}' operator add ${benchOperator.username}`], { env: edgeEnv });
if (operatorAdded.code !== 0) throw new Error(`operator add failed: ${operatorAdded.stderr}`);
const edgePort = await findFreePort();
const edge = await startNodeProcess(binary, ["serve"], { cwd: work.path, env: { ...edgeEnv, LOG_LEVEL: "info", HOST: "127.0.0.1", PORT: String(edgePort) }, timeoutMs: 60_000 });
children.push(edge.child);

const barePort = await findFreePort();
const bareSource = work.join("bare-lookup-server.ts");
writeFileSync(
  bareSource,
  `import { Database } from "bun:sqlite";
const db = new Database(${JSON.stringify(sqliteDatabase)}, { readonly: true });
const byId = db.prepare("SELECT * FROM leads WHERE lead_id = ?");
Bun.serve({ hostname: "127.0.0.1", port: ${barePort}, fetch(request) {
  const id = request.url.slice(request.url.lastIndexOf("/") + 1);
  const row = byId.get(id);
  return row ? Response.json(row) : new Response("not found", { status: 404 });
} });
`,
);
const bare = spawnProcess(process.execPath, [bareSource], { stdout: "ignore", stderr: "inherit" });
children.push(bare);

log("writing one static JSON file per lead for nginx…");
const staticRoot = work.join("static");
mkdirSync(join(staticRoot, "leads"), { recursive: true });
{
  const rows = (await runCommand("sqlite3", ["-json", sqliteDatabase, "SELECT * FROM leads"])).stdout;
  for (const row of JSON.parse(rows) as Array<Record<string, string>>) writeFileSync(join(staticRoot, "leads", `${row.lead_id}.json`), JSON.stringify(row));
}
const nginxPort = await findFreePort();
const nginxPrefix = work.join("nginx");
mkdirSync(join(nginxPrefix, "logs"), { recursive: true });
writeFileSync(
  join(nginxPrefix, "nginx.conf"),
  `worker_processes 1;
error_log ${nginxPrefix}/logs/error.log;
pid ${nginxPrefix}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { application/json json; audio/wav wav; }
  client_body_temp_path ${nginxPrefix}/tmp;
  proxy_temp_path ${nginxPrefix}/tmp;
  fastcgi_temp_path ${nginxPrefix}/tmp;
  uwsgi_temp_path ${nginxPrefix}/tmp;
  scgi_temp_path ${nginxPrefix}/tmp;
  server {
    listen 127.0.0.1:${nginxPort};
    location /leads/ { root ${staticRoot}; }
    location /audio/ { alias ${extracted}/audio/; }
  }
}
`,
);
const nginx = spawnProcess("/usr/sbin/nginx", ["-p", nginxPrefix, "-c", join(nginxPrefix, "nginx.conf"), "-g", "daemon off;"], { stdout: "ignore", stderr: "inherit" });
children.push(nginx);
await Promise.all([waitForHttp(`http://127.0.0.1:${barePort}/leads/1001`), waitForHttp(`http://127.0.0.1:${nginxPort}/leads/1001.json`)]);

const firstLead = 1001;
const lastLead = 1000 + leadCount;
const greetings = readdirSync(join(extracted, "audio/greeting")).filter((name) => name.endsWith(".wav")).length;

// --- load tests ----------------------------------------------------------------------------------
const lookupTargets = [
  { name: "edge lookups (GET /api/v1/leads/{id})", url: `http://127.0.0.1:${edgePort}`, script: randomPathScript(work, "edge-leads", "/api/v1/leads/%d", firstLead, lastLead) },
  { name: "bare Bun.serve + bun:sqlite (baseline)", url: `http://127.0.0.1:${barePort}`, script: randomPathScript(work, "bare-leads", "/leads/%d", firstLead, lastLead) },
  { name: "nginx static JSON files", url: `http://127.0.0.1:${nginxPort}`, script: randomPathScript(work, "nginx-leads", "/leads/%d.json", firstLead, lastLead) },
];
const audioTargets = [
  { name: "edge audio (GET /audio/…)", url: `http://127.0.0.1:${edgePort}`, script: randomPathScript(work, "edge-audio", `/audio/${importId}/greeting/greeting-%d.wav`, 1, greetings) },
  { name: "nginx, same files (baseline)", url: `http://127.0.0.1:${nginxPort}`, script: randomPathScript(work, "nginx-audio", "/audio/greeting/greeting-%d.wav", 1, greetings) },
];

/** Every URL once, a few at a time: nothing measured afterwards is a first read from disk. */
async function warmUp(urls: string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < urls.length) await (await fetch(urls[next++]!)).arrayBuffer();
    }),
  );
}

for (const target of lookupTargets) await runWrk(target.url, target.script, 2);
const lookupResults = await measureAlternating(lookupTargets, seconds, log);
log("warming up: every audio file once through each server…");
const greetingNumbers = Array.from({ length: greetings }, (_, index) => index + 1);
await warmUp(greetingNumbers.map((number) => `http://127.0.0.1:${edgePort}/audio/${importId}/greeting/greeting-${number}.wav`));
await warmUp(greetingNumbers.map((number) => `http://127.0.0.1:${nginxPort}/audio/greeting/greeting-${number}.wav`));
const audioResults = await measureAlternating(audioTargets, seconds, log);
const edgeHealth = (await (await fetch(`http://127.0.0.1:${edgePort}/health`)).json()) as { audio_cache: { hits: number; misses: number; bytes: number } };

// --- lookups while the serving edge imports a large package --------------------------------------
const largePackagePath = join(cacheDirectory, `edge-campaign-import-${concurrentImportLeads}.zip`);
if (!existsSync(largePackagePath)) {
  log(`generating ${largePackagePath} (${concurrentImportLeads} leads)…`);
  await generateCampaignPackage({ outPath: largePackagePath, leads: concurrentImportLeads, audioFiles: 20, campaignId: "LARGE" });
}

interface LatencySummary {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Four clients, each one lookup at a time with 2 ms between: latency, not throughput. Latencies in ms, unsorted. */
async function pacedLookups(keepGoing: () => boolean, onLookup: (startedAt: number, ms: number) => void = () => {}): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      let leadId = firstLead + client;
      while (keepGoing()) {
        const started = performance.now();
        const response = await fetch(`http://127.0.0.1:${edgePort}/api/v1/leads/${leadId}`);
        await response.arrayBuffer();
        const took = performance.now() - started;
        latencies.push(took);
        onLookup(started, took);
        leadId = firstLead + ((leadId - firstLead + 7919) % leadCount);
        await Bun.sleep(2);
      }
    }),
  );
  return latencies;
}

function summarize(latencies: number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;
  return { requests: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? Number.NaN };
}

/** CPU time the hypervisor gave to others (steal, /proc/stat), in ms summed over the cores: on a shared host it moves every tail. */
function stolenMs(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  return Number(fields[8] ?? 0) * 10;
}

const login = await fetch(`http://127.0.0.1:${edgePort}/operator/api/login`, {
  method: "POST",
  headers: { "content-type": "application/json", "x-requested-with": "salescontrol" },
  body: JSON.stringify(benchOperator),
});
const cookie = /salescontrol_edge_session=[^;]+/.exec(login.headers.get("set-cookie") ?? "")?.[0];
if (!cookie) throw new Error(`operator sign-in failed: ${login.status}`);

/** The CPUs the staging processes' threads were allowed, as seen while each cleaned up (one CPU is kept for the serving edge). */
const stagingCpus = new Set<string>();
/** Lookups of 50 ms and more, with when each was sent (and the import's phase). */
const slowLookups: string[] = [];
/** Every lookup during the imports by the phase the import was in when it was sent (as its status said last). */
const latenciesByPhase = new Map<string, number[]>();

async function importWhileLooking(round: number): Promise<{ latencies: number[]; outcome: string; seconds: number }> {
  let importing = true;
  const started = performance.now();
  let phase = "uploading";
  const importRun = (async () => {
    // Sent by curl, as an operator's browser would: sending 8 MB from this process would hold up
    // the lookups' own clients here, and be counted as the edge's delay.
    const upload = await runCommand("curl", [
      "--silent",
      "--show-error",
      "--write-out",
      "\n%{http_code}",
      "--header",
      `cookie: ${cookie}`,
      "--header",
      "x-requested-with: salescontrol",
      "--header",
      "content-type: application/zip",
      "--header",
      "x-file-name: large.zip",
      "--data-binary",
      `@${largePackagePath}`,
      `http://127.0.0.1:${edgePort}/operator/api/imports`,
    ]);
    const [body = "", status = ""] = upload.stdout.split(/\n(?=\d+$)/);
    if (upload.code !== 0 || status !== "202") throw new Error(`upload answered ${status || upload.stderr}: ${body}`);
    const { status_url } = JSON.parse(body) as { status_url: string };
    let state = "running";
    while (state === "running") {
      await Bun.sleep(250);
      const status = (await (await fetch(`http://127.0.0.1:${edgePort}${status_url}`, { headers: { cookie: cookie! } })).json()) as { state: string; progress?: { phase?: string } };
      phase = status.progress?.phase ?? status.state;
      state = status.state;
    }
    // The switch is made; the import ends when its staging process has removed the replaced
    // campaign's rows. The next round's lookups with no import wait for that. The process is found
    // once: a scan of /proc holds this thread, where the lookups are timed, for about a millisecond.
    phase = "cleaning up";
    const staging = processesRunning((argument) => argument === stagingProcessCommand, edge.pid);
    for (const pid of staging) for (const cpus of threadCpus(pid)) stagingCpus.add(cpus.join(","));
    while (staging.some((pid) => existsSync(`/proc/${pid}`))) await Bun.sleep(50);
    return state;
  })().finally(() => {
    importing = false;
  });
  const latencies = await pacedLookups(
    () => importing,
    (sentAt, ms) => {
      const inPhase = latenciesByPhase.get(phase) ?? [];
      if (inPhase.length === 0) latenciesByPhase.set(phase, inPhase);
      inPhase.push(ms);
      if (ms >= 50) slowLookups.push(`round ${round}, ${((sentAt - started) / 1000).toFixed(1)} s into the import (${phase}): ${ms.toFixed(0)} ms`);
    },
  );
  return { latencies, outcome: await importRun, seconds: (performance.now() - started) / 1000 };
}

// Rounds alternate, so that a slower minute of the machine falls on both sides alike.
const importRounds = 3;
const quietLatencies: number[] = [];
const importLatencies: number[] = [];
const rounds: Array<{ quietP99: number; importP99: number; importMax: number; outcome: string; seconds: number; quietStolenMs: number; importStolenMs: number }> = [];
for (let round = 1; round <= importRounds; round++) {
  log(`round ${round}/${importRounds}: lookups with no import, then while the edge imports ${concurrentImportLeads} leads…`);
  const quietStolen = stolenMs();
  const quietUntil = performance.now() + seconds * 1000;
  const quietStarted = performance.now();
  const quiet = await pacedLookups(
    () => performance.now() < quietUntil,
    (sentAt, ms) => {
      if (ms >= 50) slowLookups.push(`round ${round}, ${((sentAt - quietStarted) / 1000).toFixed(1)} s into the lookups with no import: ${ms.toFixed(0)} ms`);
    },
  );
  const importStolen = stolenMs();
  const during = await importWhileLooking(round);
  const importing = summarize(during.latencies);
  rounds.push({ quietP99: summarize(quiet).p99Ms, importP99: importing.p99Ms, importMax: importing.maxMs, outcome: during.outcome, seconds: during.seconds, quietStolenMs: importStolen - quietStolen, importStolenMs: stolenMs() - importStolen });
  quietLatencies.push(...quiet);
  importLatencies.push(...during.latencies);
}
const withoutImport = summarize(quietLatencies);
const duringImport = summarize(importLatencies);
const edgeRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${edge.pid}/status`, "utf8"))?.[1]) / 1024;
await edge.stop();
cleanUp();
children.length = 0;

// --- report --------------------------------------------------------------------------------------
console.log(`\nedge campaign figures — ${leadCount} leads, ${audioCount} audio files, package ${packageMb.toFixed(0)} MB; wrk -t2 -c50, means of 2 alternating rounds of ${seconds} s; all on this machine in one run\n`);
console.log("import");
printTable(
  ["", "seconds", "peak RSS MB"],
  [
    ["salescontrol-edge import (validates everything, stages, switches)", ours.seconds, ours.peakMb],
    ["unzip (baseline)", unzip.seconds, unzip.peakMb],
    ["sqlite3 .import of leads.csv (baseline)", sqliteImport.seconds, sqliteImport.peakMb],
    ["unzip + sqlite3 .import together", unzip.seconds + sqliteImport.seconds, Math.max(unzip.peakMb, sqliteImport.peakMb)],
  ],
);
console.log("\nlead lookups at 50 connections");
const bareRps = lookupResults[1]!.requestsPerSecond;
printTable(
  ["", "requests/s", "p99 ms", "errors", "× bare Bun"],
  lookupTargets.map((target, index) => [target.name, Math.round(lookupResults[index]!.requestsPerSecond), lookupResults[index]!.p99Ms, lookupResults[index]!.errors, (lookupResults[index]!.requestsPerSecond / bareRps).toFixed(2)]),
);
console.log("\naudio files at 50 connections");
const nginxAudio = audioResults[1]!.requestsPerSecond;
printTable(
  ["", "requests/s", "p99 ms", "errors", "× nginx"],
  audioTargets.map((target, index) => [target.name, Math.round(audioResults[index]!.requestsPerSecond), audioResults[index]!.p99Ms, audioResults[index]!.errors, (audioResults[index]!.requestsPerSecond / nginxAudio).toFixed(2)]),
);
console.log(`\nedge RSS after the load tests: ${edgeRss.toFixed(0)} MB; audio cache ${(edgeHealth.audio_cache.bytes / 1e6).toFixed(0)} MB, ${edgeHealth.audio_cache.hits} hits, ${edgeHealth.audio_cache.misses} misses`);
console.log(`\nlead lookups while the serving edge imports ${concurrentImportLeads} leads (uploaded), ${importRounds} rounds each of ${seconds} s with no import, then one import; 4 clients, one request at a time`);
printTable(
  ["", "requests", "p50 ms", "p99 ms", "max ms"],
  [
    ["no import (baseline)", withoutImport.requests, withoutImport.p50Ms, withoutImport.p99Ms, withoutImport.maxMs],
    ["during the imports", duringImport.requests, duringImport.p50Ms, duringImport.p99Ms, duringImport.maxMs],
  ],
);
printTable(
  ["round", "p99 no import", "p99 importing", "ratio", "max importing", "import", "seconds", "stolen ms (no import / importing)"],
  rounds.map((each, index) => [index + 1, each.quietP99, each.importP99, (each.importP99 / each.quietP99).toFixed(2), each.importMax, each.outcome, each.seconds, `${each.quietStolenMs} / ${each.importStolenMs}`]),
);
printTable(
  ["import phase (all rounds)", "requests", "p50 ms", "p99 ms", "max ms", "p99 ÷ no import"],
  [...latenciesByPhase].map(([phase, latencies]) => {
    const inPhase = summarize(latencies);
    return [phase, inPhase.requests, inPhase.p50Ms, inPhase.p99Ms, inPhase.maxMs, (inPhase.p99Ms / withoutImport.p99Ms).toFixed(2)];
  }),
);
const medianRatio = median(rounds.map((each) => each.importP99 / each.quietP99));
console.log(`p99 during the imports: ${(duringImport.p99Ms / withoutImport.p99Ms).toFixed(2)}× the p99 without (all rounds together); median of the rounds' ratios ${medianRatio.toFixed(2)}×`);
console.log(`the staging processes' threads were kept to CPU ${[...stagingCpus].join(" / ") || "(not seen)"} of ${threadCpus(process.pid)[0]!.join(",")}`);
if (slowLookups.length > 0) console.log(`lookups of 50 ms and more:\n  ${slowLookups.join("\n  ")}`);
console.log(`1-minute load average on ${cpus().length} cores at the end: ${loadavg()[0]!.toFixed(1)}`);
console.log("targets: lookups ≥ 0.8× the bare Bun server; audio ≥ 0.8× nginx; p99 during an import ≤ 2× the p99 without and ≤ 20 ms");
work.remove();
