import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "../../shared/runtime/process.ts";

export interface BuildTarget {
  arch: "x64" | "arm64";
  bunTarget: "bun-linux-x64" | "bun-linux-arm64";
  /** npm package holding the Bun runtime for the target. */
  bunPackage: string;
  /** npm package holding libsql's native addon for the target. */
  libsqlPackage: string;
}

export const buildTargets: readonly BuildTarget[] = [
  { arch: "x64", bunTarget: "bun-linux-x64", bunPackage: "@oven/bun-linux-x64", libsqlPackage: "@libsql/linux-x64-gnu" },
  { arch: "arm64", bunTarget: "bun-linux-arm64", bunPackage: "@oven/bun-linux-aarch64", libsqlPackage: "@libsql/linux-arm64-gnu" },
];

export interface Toolchain {
  bunExecutable: string;
  libsqlAddon: string;
}

const root = join(import.meta.dir, "../..");
const cacheRoot = join(root, ".cache/build");

export function packageVersion(name: string): string {
  return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
}

/**
 * The Bun runtime and libsql addon for a target, at exactly the versions in the lock file. Both come
 * from the npm registry (`npm pack`), so cross-building needs nothing but npm; they are cached in
 * .cache/build. The host's own packages in node_modules are used when they match.
 */
export async function resolveToolchain(target: BuildTarget): Promise<Toolchain> {
  const bunVersion = packageVersion("bun");
  const libsqlVersion = packageVersion("libsql");
  // The Bun running this build is the target's runtime when architecture and version match.
  const hostRuntime = target.arch === process.arch && Bun.version === bunVersion ? process.execPath : null;
  return {
    bunExecutable: hostRuntime ?? (await packageFile(target.bunPackage, bunVersion, "bin/bun")),
    libsqlAddon: await packageFile(target.libsqlPackage, libsqlVersion, "index.node"),
  };
}

async function packageFile(name: string, version: string, file: string): Promise<string> {
  const installed = join(root, "node_modules", name);
  if (existsSync(join(installed, file)) && packageVersionAt(installed) === version) return join(installed, file);

  const unpacked = join(cacheRoot, `${name.replace("/", "+")}@${version}`);
  const wanted = join(unpacked, file);
  if (existsSync(wanted)) return wanted;

  mkdirSync(cacheRoot, { recursive: true });
  const staging = `${unpacked}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const packed = await runCommand("npm", ["pack", `${name}@${version}`, "--silent", "--pack-destination", staging], { cwd: staging });
  if (packed.code !== 0) throw new Error(`npm pack ${name}@${version} failed:\n${packed.stderr}`);
  const tarball = join(staging, packed.stdout.trim().split("\n").pop()!);
  const extracted = await runCommand("tar", ["-xzf", tarball, "-C", staging, "--strip-components=1"]);
  if (extracted.code !== 0) throw new Error(`cannot unpack ${tarball}:\n${extracted.stderr}`);
  rmSync(tarball);
  if (!existsSync(join(staging, file))) throw new Error(`${name}@${version} has no ${file}; the package layout changed`);
  rmSync(unpacked, { recursive: true, force: true });
  renameSync(staging, unpacked);
  return wanted;
}

function packageVersionAt(directory: string): string | null {
  try {
    return JSON.parse(readFileSync(join(directory, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}
