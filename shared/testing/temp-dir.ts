import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TempDir {
  path: string;
  join(...segments: string[]): string;
  remove(): void;
}

/** A fresh directory under $TMPDIR; tests remove it in afterEach/afterAll. */
export function makeTempDir(prefix = "salescontrol-test-"): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    join: (...segments) => join(path, ...segments),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
