import { fileURLToPath } from "node:url";
import { runtimeKind } from "./runtime-kind.ts";

/**
 * The path of a file that the Bun build embeds in the binary. Embedding takes an
 * `import … with { type: "file" }`, an attribute Deno refuses, so that import lives in a module of
 * its own that only Bun loads; under Deno the file is read where the package installed it.
 */
export async function embeddedFilePath(options: { loadEmbedded: () => Promise<{ path: string }>; installedAt: () => string }): Promise<string> {
  if (runtimeKind === "bun") return (await options.loadEmbedded()).path;
  return fileURLToPath(options.installedAt());
}
