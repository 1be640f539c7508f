import { realpathSync } from "node:fs";
import { join } from "node:path";
import { type RunningNodeProcess, startNodeProcess } from "./node-process.ts";

export type NodeName = "core" | "edge" | "pi";

const projectRoot = realpathSync(join(import.meta.dir, "../.."));
// Deno checks permissions against real paths, and node_modules may be a link.
const nodeModules = realpathSync(join(projectRoot, "node_modules"));
export const denoExecutable = join(nodeModules, ".bin/deno");

export interface DenoNodePaths {
  dataDir: string;
  /** The working directory (the node reads its .env there). */
  workDir: string;
  /** Hosts besides 127.0.0.1 the node may reach or listen on. */
  net?: string[];
  /** Files besides its own the node reads (a package to import, a config file). */
  read?: string[];
}

/**
 * The narrowest Deno permissions a node serves with, as the README lists them: read the source,
 * node_modules, the working directory (its .env) and the node's config file; write only the data
 * directory; load only libsql's native addon; run only the tools the node runs; the system facts
 * libsql's platform probe and the node's metrics read; loopback and the hosts in `net`.
 */
export function denoPermissions(node: NodeName, options: DenoNodePaths): string[] {
  const read = [projectRoot, nodeModules, options.workDir, options.dataDir, ...(node === "pi" ? ["/etc/recorder-agent/config.yaml"] : []), ...(options.read ?? [])];
  const run = { core: [], edge: ["sync"], pi: ["ffmpeg", "arecord"] }[node];
  return [
    "--no-prompt",
    `--allow-read=${read.join(",")}`,
    `--allow-write=${options.dataDir}`,
    `--allow-ffi=${join(nodeModules, "@libsql")}`,
    "--allow-env",
    "--allow-sys=hostname,cpus,networkInterfaces,systemMemoryInfo,statfs,uid",
    `--allow-net=${["127.0.0.1", ...(options.net ?? [])].join(",")}`,
    ...(run.length > 0 ? [`--allow-run=${run.join(",")}`] : []),
  ];
}

/** `deno run <permissions> <node>/main.ts <args>`: the node from source under Deno. */
export function denoNodeArgs(node: NodeName, args: string[], options: DenoNodePaths): string[] {
  return ["run", ...denoPermissions(node, options), join(projectRoot, node, "main.ts"), ...args];
}

/** Starts a node under Deno and waits until it serves (see startNodeProcess). */
export function startDenoNode(
  node: NodeName,
  args: string[],
  options: DenoNodePaths & { env: Record<string, string>; readyMessage?: string },
): Promise<RunningNodeProcess> {
  return startNodeProcess(denoExecutable, denoNodeArgs(node, args, options), { env: denoEnv(options.env), cwd: options.workDir, timeoutMs: 60_000, readyMessage: options.readyMessage });
}

/** Deno's own messages as plain text, and its compile cache shared across runs (it is no node data). */
export function denoEnv(env: Record<string, string>): Record<string, string> {
  return { NO_COLOR: "1", DENO_DIR: join(projectRoot, ".cache/deno"), ...env };
}
