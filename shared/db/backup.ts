import { existsSync, rmSync } from "node:fs";
import { mkdir, open, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Client } from "@libsql/client";
import { publishWithoutOverwrite, temporarySiblingPath } from "../runtime/files.ts";

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

/**
 * Writes a consistent snapshot of the live database with VACUUM INTO: one read transaction, so
 * writes that continue meanwhile are either wholly in it or wholly absent. The file appears under
 * its final name only once complete and synced.
 */
export async function backupDatabase(client: Client, target: string): Promise<{ path: string; bytes: number }> {
  const path = resolve(target);
  if (existsSync(path)) throw alreadyExists(path);
  await mkdir(dirname(path), { recursive: true });
  const temp = temporarySiblingPath(path);
  try {
    await client.execute({ sql: "VACUUM INTO ?", args: [temp] });
    const handle = await open(temp, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await publishWithoutOverwrite(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw alreadyExists(path);
    throw new BackupError(`backup to ${path} failed: ${(error as Error).message}`);
  }
  return { path, bytes: (await stat(path)).size };
}

function alreadyExists(path: string): BackupError {
  return new BackupError(`backup target ${path} already exists; choose a new file name`);
}

export async function checkIntegrity(client: Client): Promise<string> {
  const result = await client.execute("PRAGMA integrity_check");
  return result.rows.map((row) => String(row[0])).join("; ");
}
