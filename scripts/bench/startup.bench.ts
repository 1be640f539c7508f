/**
 * Start-up and idle footprint of each node's x64 binary: time from exec to the first /health 200
 * and resident memory once idle, beside a compiled hello-world Bun server built in the same run.
 *   bun run bench startup [runs]
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { agentEnvironment, closedScheduleWindow } from "../../pi/testing/agent-process.ts";
import { binaryPath, nodeNames } from "../build.ts";
import { median, printTable } from "./bench-report.ts";

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

function residentKilobytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
}

async function measure(binary: string, args: string[], env: Record<string, string>, port: number, cwd: string): Promise<{ readyMs: number; rssMb: number }> {
  const started = performance.now();
  const child = Bun.spawn([binary, ...args], { cwd, env, stdout: "ignore", stderr: "ignore" });
  let readyMs = Number.NaN;
  while (performance.now() - started < 10_000) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.status === 200) {
        readyMs = performance.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    await Bun.sleep(1);
  }
  await Bun.sleep(1500);
  const rssMb = residentKilobytes(child.pid) / 1024;
  child.kill("SIGTERM");
  const code = await child.exited;
  if (code !== 0) throw new Error(`${binary} exited ${code} on SIGTERM`);
  return { readyMs, rssMb };
}

const baselineBinary = await buildBaseline();
/** The recorder needs its identity and ingest to start; outside its schedule it idles, as measured here. */
function recorderSettings(dir: TempDir): Record<string, string> {
  const { PATH: _path, HOME: _home, TMPDIR: _tmp, ...settings } = agentEnvironment(dir, "http://127.0.0.1:9", closedScheduleWindow());
  return settings;
}

const subjects: Array<{ name: string; binary: string; args: string[]; settings: (dir: TempDir) => Record<string, string>; portEnv: (port: number) => Record<string, string> }> = [
  { name: "hello-world Bun.serve (baseline)", binary: baselineBinary, args: [], settings: () => ({}), portEnv: (port) => ({ PORT: String(port) }) },
  ...nodeNames.map((node) => ({
    name: `${node}-linux-x64`,
    binary: binaryPath(node, "x64"),
    args: ["serve"],
    settings: node === "pi" ? recorderSettings : () => ({}),
    portEnv: (port: number): Record<string, string> => {
      if (node === "pi") return { RA_HEALTH_PORT: String(port) };
      // The core serves only with an admin token.
      return node === "core" ? { PORT: String(port), HOST: "127.0.0.1", ADMIN_TOKEN: "startup-bench-7e1d9c3a5b2f4086" } : { PORT: String(port), HOST: "127.0.0.1" };
    },
  })),
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
    mkdirSync(dir.join("tmp"));
    const env = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.join("tmp"), ...subject.settings(dir) };
    // First start: empty data dir (migrations run, native addon unpacked). Restart: as after a reboot.
    for (const sample of [first, restart]) {
      const port = await findFreePort();
      const result = await measure(binary, subject.args, { ...env, ...subject.portEnv(port) }, port, dir.path);
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
