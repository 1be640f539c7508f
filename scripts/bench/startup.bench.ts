/**
 * Start-up and idle footprint of each node's x64 binary: time from exec to the first /health 200
 * and resident memory once idle, beside a compiled hello-world Bun server built in the same run.
 *   bun run bench startup [runs]
 */
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { waitForHttpOk } from "../../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { binaryPath, nodeNames } from "../build.ts";
import { isolatedNodeEnv } from "../testing/isolated-node.ts";
import { median, printTable, residentMegabytes } from "./bench-report.ts";

const runs = Number(process.argv[2] ?? 10);
const root = join(import.meta.dir, "../..");

async function buildBaseline(): Promise<string> {
  const directory = join(root, ".cache/bench");
  mkdirSync(directory, { recursive: true });
  const source = join(directory, "hello-server.ts");
  writeFileSync(
    source,
    `const server = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.PORT), fetch: () => Response.json({ status: "ok" }) });
process.on("SIGTERM", () => { server.stop(); process.exit(0); });\n`,
  );
  const outfile = join(directory, "hello-server");
  const result = await Bun.build({ entrypoints: [source], compile: { outfile, autoloadDotenv: false, autoloadBunfig: false }, minify: true, bytecode: true, format: "esm" });
  if (!result.success) throw new Error(result.logs.join("\n"));
  return outfile;
}

async function measure(binary: string, args: string[], env: Record<string, string>, port: number, cwd: string): Promise<{ readyMs: number; rssMb: number }> {
  const started = performance.now();
  const child = Bun.spawn([binary, ...args], { cwd, env, stdout: "ignore", stderr: "ignore" });
  await waitForHttpOk(`http://127.0.0.1:${port}/health`, 10_000);
  const readyMs = performance.now() - started;
  await Bun.sleep(1500);
  const rssMb = residentMegabytes(child.pid).total;
  child.kill("SIGTERM");
  const code = await child.exited;
  if (code !== 0) throw new Error(`${binary} exited ${code} on SIGTERM`);
  return { readyMs, rssMb };
}

const baselineBinary = await buildBaseline();
const subjects: Array<{ name: string; binary: string; args: string[]; env: (dir: TempDir, port: number) => Record<string, string> }> = [
  {
    name: "hello-world Bun.serve (baseline)",
    binary: baselineBinary,
    args: [],
    env: (dir, port) => ({ PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.path, PORT: String(port) }),
  },
  ...nodeNames.map((node) => ({ name: `${node}-linux-x64`, binary: binaryPath(node, "x64"), args: ["serve"], env: (dir: TempDir, port: number) => isolatedNodeEnv(node, dir, port) })),
];
for (const subject of subjects) if (!existsSync(subject.binary)) throw new Error(`${subject.binary} missing: run npm run build`);

const rows: Array<Array<string | number>> = [];
let baseline: { firstReady: number; firstRss: number; restartReady: number; restartRss: number } | null = null;
for (const subject of subjects) {
  const first = { ready: [] as number[], rss: [] as number[] };
  const restart = { ready: [] as number[], rss: [] as number[] };
  for (let run = 0; run < runs; run++) {
    const dir = makeTempDir("salescontrol-bench-");
    const binary = dir.join("binary");
    copyFileSync(subject.binary, binary);
    // First start: empty data dir (migrations run, native addon unpacked). Restart: as after a reboot.
    for (const sample of [first, restart]) {
      const port = await findFreePort();
      const result = await measure(binary, subject.args, subject.env(dir, port), port, dir.path);
      sample.ready.push(result.readyMs);
      sample.rss.push(result.rssMb);
    }
    dir.remove();
  }
  const figures = { firstReady: median(first.ready), firstRss: median(first.rss), restartReady: median(restart.ready), restartRss: median(restart.rss) };
  baseline ??= figures;
  rows.push([
    subject.name,
    (statSync(subject.binary).size / 1e6).toFixed(1),
    figures.firstReady,
    figures.restartReady,
    (figures.restartReady / baseline.restartReady).toFixed(2),
    figures.firstRss,
    figures.restartRss,
    (figures.restartRss / baseline.restartRss).toFixed(2),
  ]);
}

console.log(`exec → first /health 200, and RSS 1.5 s later; median of ${runs} runs; first start on an empty data dir, then a restart\n`);
printTable(["binary", "size MB", "ready ms (first)", "ready ms (restart)", "× base", "RSS MB (first)", "RSS MB (restart)", "× base"], rows);
console.log("\ntargets: healthy in under 150 ms, under 60 MB idle RSS");
