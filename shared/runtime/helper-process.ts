import { fileURLToPath } from "node:url";
import { runtimeKind } from "./runtime-kind.ts";

/**
 * How to start a module of this program as a child process (a helper that must share nothing with
 * the server): inside a `bun build --compile` binary, the binary itself with a hidden command its
 * main module answers (every module there reports a `/$bunfs/` URL); from source, the runtime with
 * the module's file. Null under Deno, whose permissions would have to allow running it.
 */
export function helperProcessCommand(sourceUrl: URL, hiddenCommand: string): string[] | null {
  if (runtimeKind !== "bun") return null;
  return import.meta.url.startsWith("file:///$bunfs/") ? [process.execPath, hiddenCommand] : [process.execPath, fileURLToPath(sourceUrl)];
}
