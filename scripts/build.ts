/**
 * Builds the standalone executables: dist/{pi,edge,core}-linux-{x64,arm64}.
 *   bun run build                 every node for every target
 *   bun run build -- core x64     a subset
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import packageJson from "../package.json" with { type: "json" };
import { runCommand } from "../shared/runtime/process.ts";
import { libsqlNativePlugin } from "./build/libsql-native-plugin.ts";
import { type BuildTarget, buildTargets, packageVersion, resolveToolchain } from "./build/target-toolchain.ts";

export const nodeNames = ["pi", "edge", "core"] as const;
const root = join(import.meta.dir, "..");
const distDirectory = join(root, "dist");

export function binaryPath(node: string, arch: string): string {
  return join(distDirectory, `${node}-linux-${arch}`);
}

async function gitCommit(): Promise<string> {
  const head = await runCommand("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root });
  if (head.code !== 0) return "unknown";
  const status = await runCommand("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root });
  return `${head.stdout.trim()}${status.stdout.trim() ? "-dirty" : ""}`;
}

async function buildBinary(node: string, target: BuildTarget, commit: string, builtAt: string): Promise<string> {
  const toolchain = await resolveToolchain(target);
  let patched = false;
  const outfile = binaryPath(node, target.arch);
  const result = await Bun.build({
    // One entrypoint: a helper process a binary starts is the binary itself with a hidden command (shared/runtime/helper-process.ts).
    entrypoints: [join(root, node, "main.ts")],
    // ogg-opus-decoder loads its optional ML speech enhancement (opus-ml, ~20 MB compiled) only when
    // asked to; the core never asks, so the binary leaves it out.
    external: ["@wasm-audio-decoders/opus-ml"],
    compile: {
      target: target.bunTarget,
      outfile,
      executablePath: toolchain.bunExecutable,
      // Nodes read .env themselves (shared/config), with their own precedence rules.
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
    minify: { syntax: true, whitespace: true, identifiers: false },
    bytecode: true,
    format: "esm",
    sourcemap: "none",
    define: {
      __SALESCONTROL_VERSION__: JSON.stringify(packageJson.version),
      __SALESCONTROL_COMMIT__: JSON.stringify(commit),
      __SALESCONTROL_BUILT_AT__: JSON.stringify(builtAt),
    },
    plugins: [libsqlNativePlugin(toolchain.libsqlAddon, join(root, ".cache/build"), () => (patched = true))],
    throw: false,
  });
  if (!result.success) {
    throw new Error(`build of ${node} for ${target.bunTarget} failed:\n${result.logs.map((log) => String(log)).join("\n")}`);
  }
  if (!patched) throw new Error(`build of ${node}: libsql's index.js was never loaded, so its native addon is not embedded`);
  return outfile;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const nodes = nodeNames.filter((node) => args.length === 0 || args.includes(node));
  const targets = buildTargets.filter((target) => !args.some((arg) => arg === "x64" || arg === "arm64") || args.includes(target.arch));
  if (Bun.version !== packageVersion("bun")) {
    throw new Error(`building with Bun ${Bun.version}, but the lock file pins bun ${packageVersion("bun")}; run it through npm run build / bun from node_modules`);
  }
  mkdirSync(distDirectory, { recursive: true });
  const commit = await gitCommit();
  const builtAt = new Date().toISOString();
  const sums: string[] = [];
  for (const target of targets) {
    for (const node of nodes) {
      const started = performance.now();
      const outfile = await buildBinary(node, target, commit, builtAt);
      const bytes = readFileSync(outfile);
      sums.push(`${createHash("sha256").update(bytes).digest("hex")}  ${node}-linux-${target.arch}`);
      console.log(`${outfile}  ${(statSync(outfile).size / 1e6).toFixed(1)} MB  ${Math.round(performance.now() - started)} ms`);
    }
  }
  // A partial build replaces its own lines and keeps the others'.
  const sumsPath = join(distDirectory, "SHA256SUMS");
  const built = new Set(sums.map((line) => line.split("  ")[1]));
  const kept = existsSync(sumsPath) ? readFileSync(sumsPath, "utf8").split("\n").filter((line) => line && !built.has(line.split("  ")[1])) : [];
  writeFileSync(sumsPath, `${[...kept, ...sums].sort((a, b) => a.split("  ")[1]!.localeCompare(b.split("  ")[1]!)).join("\n")}\n`);
}
