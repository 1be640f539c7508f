import { accessSync, constants, mkdirSync } from "node:fs";
import type { NodeName, WritableDirectory } from "../cli/node-definition.ts";

/**
 * Each directory the node cannot create or write, as a problem naming its setting and the fix.
 * Under the systemd unit (ProtectSystem=strict) only /var/lib/salescontrol/<node> is writable, so
 * a path elsewhere fails here with EROFS instead of on the first chunk or import.
 */
export function unwritableDirectoryProblems(node: NodeName, directories: readonly WritableDirectory[]): string[] {
  const problems: string[] = [];
  for (const { setting, path } of directories) {
    try {
      mkdirSync(path, { recursive: true, mode: 0o750 });
      accessSync(path, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push(
        `${setting}: ${path} cannot be written (${code}). Under systemd the service may write only /var/lib/salescontrol/${node}: ` +
          `keep the path inside it, or allow this one with \`systemctl edit salescontrol-${node}\` adding "[Service]" and "ReadWritePaths=${path}" ` +
          `(and make it owned by the salescontrol user)`,
      );
    }
  }
  return problems;
}
