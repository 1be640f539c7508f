/**
 * The nodes from source under Deno 2 beside the same source under Bun, in one run on this machine:
 *   - the edge: `import` of a generated package (wall time), then lead lookups/s and p99 at 50
 *     connections (wrk, GET /api/v1/leads/{id}), rounds alternating between the two runtimes;
 *   - the core: chunk ingests/s (realistic 180 KB chunks from 100 registered recorders, in-process
 *     VAD off), rounds alternating.
 * Deno runs with the permissions the README lists. Needs wrk and ffmpeg.
 *   bun run bench deno [seconds per round] [leads] [audio files]
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { chunkUploadPath } from "../../shared/contracts/chunk-upload.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { denoEnv, denoExecutable, denoNodeArgs, type NodeName } from "../../shared/testing/deno-node.ts";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { type RunningNodeProcess, startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { generateCampaignPackage } from "../campaign-package/generate-campaign-package.ts";
import { printTable } from "./bench-report.ts";
import { driveUploads, type LoadResult, measureAlternating, randomPathScript, realisticChunk, registerRecorders, runWrk, uploadSequence } from "./load-drivers.ts";

const seconds = Number(process.argv[2] ?? 10);
const leadCount = Number(process.argv[3] ?? 20_000);
const audioCount = Number(process.argv[4] ?? 200);
const uploadConcurrency = 16;
const root = join(import.meta.dir, "../..");
const runtimes = ["bun", "deno"] as const;
type Runtime = (typeof runtimes)[number];

const work = makeTempDir("salescontrol-bench-deno-");
mkdirSync(work.join("tmp"));
const running: RunningNodeProcess[] = [];
process.on("exit", () => {
  for (const node of running) node.child.kill("SIGKILL");
});

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The command that runs `node` from source under `runtime` (Deno with the README's permissions). */
function nodeCommand(runtime: Runtime, node: NodeName, args: string[], dataDir: string, read: string[] = []): { command: string; args: string[] } {
  if (runtime === "bun") return { command: process.execPath, args: [join(root, node, "main.ts"), ...args] };
  return { command: denoExecutable, args: denoNodeArgs(node, args, { dataDir, workDir: work.path, read }) };
}

async function startNode(runtime: Runtime, node: NodeName, env: Record<string, string>): Promise<RunningNodeProcess> {
  const { command, args } = nodeCommand(runtime, node, ["serve"], env.DATA_DIR!);
  const started = await startNodeProcess(command, args, { cwd: work.path, env: denoEnv({ ...env, LOG_LEVEL: "info" }), timeoutMs: 60_000 });
  running.push(started);
  return started;
}

try {
  // --- the edge -----------------------------------------------------------------------------------
  const cacheDirectory = join(root, ".cache/bench");
  mkdirSync(cacheDirectory, { recursive: true });
  const packagePath = join(cacheDirectory, `edge-campaign-${leadCount}-${audioCount}.zip`);
  if (!existsSync(packagePath)) {
    log(`generating ${packagePath} (${leadCount} leads, ${audioCount} audio files)…`);
    await generateCampaignPackage({ outPath: packagePath, leads: leadCount, audioFiles: audioCount, campaignId: "BENCH" });
  }
  const edges = new Map<Runtime, { url: string; importSeconds: number }>();
  for (const runtime of runtimes) {
    const env = { PATH: "/usr/bin:/bin", HOME: work.path, TMPDIR: work.join("tmp"), DATA_DIR: work.join(`edge-${runtime}`), HOST: "127.0.0.1", PORT: String(await findFreePort()), LOG_LEVEL: "warn" };
    log(`importing under ${runtime}…`);
    const { command, args } = nodeCommand(runtime, "edge", ["import", packagePath], env.DATA_DIR, [realpathSync(packagePath)]);
    const started = performance.now();
    const imported = await runCommand(command, args, { cwd: work.path, env: denoEnv(env) });
    const importSeconds = (performance.now() - started) / 1000;
    if (imported.code !== 0) throw new Error(`edge import under ${runtime} failed:\n${imported.stdout}\n${imported.stderr}`);
    edges.set(runtime, { url: (await startNode(runtime, "edge", env)).url, importSeconds });
  }
  const lookupTargets = runtimes.map((runtime) => ({
    name: `edge under ${runtime} (GET /api/v1/leads/{id})`,
    url: edges.get(runtime)!.url,
    script: randomPathScript(work, `leads-${runtime}`, "/api/v1/leads/%d", 1001, 1000 + leadCount),
  }));
  for (const target of lookupTargets) await runWrk(target.url, target.script, 2);
  const lookups = await measureAlternating(lookupTargets, seconds, log);
  for (const node of running.splice(0)) await node.stop();

  // --- the core -----------------------------------------------------------------------------------
  const file = await realisticChunk(work);
  const adminToken = `bench-${randomUUID()}`;
  const cores = new Map<Runtime, { node: RunningNodeProcess; nextUpload: ReturnType<typeof uploadSequence> }>();
  for (const runtime of runtimes) {
    const env = { PATH: "/usr/bin:/bin", HOME: work.path, TMPDIR: work.join("tmp"), DATA_DIR: work.join(`core-${runtime}`), ADMIN_TOKEN: adminToken, HOST: "127.0.0.1", PORT: String(await findFreePort()), VAD_IN_PROCESS: "false" };
    const node = await startNode(runtime, "core", env);
    cores.set(runtime, { node, nextUpload: uploadSequence(await registerRecorders(node.url, adminToken, 100), file) });
  }
  const ingests = new Map<Runtime, LoadResult[]>(runtimes.map((runtime) => [runtime, []]));
  for (let round = 0; round < 2; round++) {
    for (const runtime of runtimes) {
      log(`ingest round ${round + 1}/2: core under ${runtime}…`);
      const { node, nextUpload } = cores.get(runtime)!;
      ingests.get(runtime)!.push(await driveUploads(`${node.url}${chunkUploadPath}`, node.pid, { seconds, concurrency: uploadConcurrency }, nextUpload));
    }
  }
  for (const node of running.splice(0)) await node.stop();

  // --- report -------------------------------------------------------------------------------------
  const deno = (await runCommand(denoExecutable, ["--version"])).stdout.split("\n")[0];
  console.log(`\nnodes from source, ${deno} beside bun ${Bun.version}; all on this machine in one run, means of 2 alternating rounds of ${seconds} s\n`);
  console.log(`edge: package of ${leadCount} leads and ${audioCount} audio files; lookups by wrk -t2 -c50`);
  printTable(
    ["runtime", "import s", "lookups/s", "p99 ms", "errors"],
    runtimes.map((runtime, index) => [`${runtime}${runtime === "bun" ? " (baseline)" : ""}`, edges.get(runtime)!.importSeconds, Math.round(lookups[index]!.requestsPerSecond), lookups[index]!.p99Ms, lookups[index]!.errors]),
  );
  console.log(`\ncore: POST ${chunkUploadPath}, 180 KB chunks, ${uploadConcurrency} uploads in flight, VAD_IN_PROCESS=false`);
  printTable(
    ["runtime", "ingests/s", "p50 ms", "p99 ms", "server CPU ms/ingest", "errors"],
    runtimes.map((runtime) => {
      const results = ingests.get(runtime)!;
      const mean = (pick: (result: LoadResult) => number) => results.reduce((sum, result) => sum + pick(result), 0) / results.length;
      return [`${runtime}${runtime === "bun" ? " (baseline)" : ""}`, Math.round(mean((result) => result.perSecond)), mean((result) => result.p50), mean((result) => result.p99), mean((result) => result.cpuMsPerUpload), results.reduce((sum, result) => sum + result.errors, 0)];
    }),
  );
} finally {
  for (const node of running) node.child.kill("SIGKILL");
  work.remove();
}
