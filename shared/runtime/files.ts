import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { link, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { runtimeKind } from "./runtime-kind.ts";

/**
 * Writes a file so that a reader (or a power cut) sees either the old content or the new, never a mix.
 * With `overwrite: false` an existing file is left alone and the call fails with code EEXIST.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: { overwrite?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = temporarySiblingPath(path);
  const handle = await open(temp, "wx", 0o640);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    // link() refuses an existing target, which rename() would silently replace.
    if (options.overwrite === false) await link(temp, path);
    else await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (options.overwrite === false) await rm(temp, { force: true });
  await syncDirectory(dirname(path));
}

/**
 * Gives a complete, synced temp file its final name unless that name is taken (then EEXIST, and
 * the existing file is untouched). The temp file is gone either way.
 */
export async function publishWithoutOverwrite(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  await syncDirectory(dirname(path));
}

export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = temporarySiblingPath(path);
  const fd = openSync(temp, "wx", 0o640);
  try {
    writeAllSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  syncDirectorySync(dirname(path));
}

/**
 * A file's bytes to read without copying them in: under Bun a private mapping (mmap), whose pages
 * come in as they are first read, so a large file costs the calling thread nothing up front (reading
 * 84 MB into memory held it up for 10–35 ms at a time). The mapping stays valid after the file is
 * removed and is unmapped when the array is collected; the file must not be truncated meanwhile.
 * Elsewhere the file is read whole. Not for empty files.
 */
export async function mapFile(path: string): Promise<Uint8Array> {
  if (runtimeKind === "bun") return Bun.mmap(path, { shared: false });
  return new Uint8Array(await readFile(path));
}

/** Writes every byte: a single write() may stop short. */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
}

/** Makes a completed rename durable: the directory entry itself must reach the disk. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function syncDirectorySync(directory: string): void {
  const fd = openSync(directory, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function temporarySiblingPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
}
