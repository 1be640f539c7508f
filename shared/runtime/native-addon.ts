import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { zstdDecompressSync } from "node:zlib";
import { writeFileAtomicSync } from "./files.ts";

/**
 * Loads a native addon that the build embedded zstd-compressed. It is unpacked once into a private
 * directory under $TMPDIR (reused by later starts, so a Pi's SD card is not rewritten on every boot)
 * and loaded only if its SHA-256 matches the build's, so a planted or damaged file is never run.
 * $TMPDIR must allow exec.
 */
export function loadCompressedNativeAddon(options: { archivePath: string; sha256: string; name: string }): unknown {
  const directory = privateDirectory();
  const target = join(directory, `${options.name}-${options.sha256.slice(0, 16)}.node`);
  if (!(existsSync(target) && sha256Of(readFileSync(target)) === options.sha256)) {
    const bytes = zstdDecompressSync(readFileSync(options.archivePath));
    if (sha256Of(bytes) !== options.sha256) throw new Error(`embedded ${options.name} addon is corrupt (checksum mismatch)`);
    writeFileAtomicSync(target, bytes);
  }
  const module = { exports: {} as unknown };
  process.dlopen(module, target);
  return module.exports;
}

function privateDirectory(): string {
  const { uid } = userInfo();
  const directory = join(tmpdir(), `salescontrol-native-${uid}`);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const stats = lstatSync(directory);
  if (!stats.isDirectory() || stats.uid !== uid || (stats.mode & 0o077) !== 0) {
    throw new Error(`${directory} must be a directory owned by uid ${uid} with mode 0700; remove it or set TMPDIR elsewhere`);
  }
  return directory;
}

function sha256Of(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
