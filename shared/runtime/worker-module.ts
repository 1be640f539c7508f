/**
 * Where a Worker's module is loaded from. From source it is the file beside the caller; inside a
 * `bun build --compile` binary every module reports the binary's own URL, and each extra entrypoint
 * (scripts/build.ts lists them) lies under the binary's root at its path relative to the node folder.
 */
export function workerModuleUrl(sourceUrl: URL, pathInNode: string): string {
  return import.meta.url.startsWith("file:///$bunfs/") ? `/$bunfs/root/${pathInNode}` : sourceUrl.href;
}
