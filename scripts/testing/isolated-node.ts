import { mkdirSync } from "node:fs";
import { agentEnvironment, closedScheduleWindow } from "../../pi/testing/agent-process.ts";
import type { TempDir } from "../../shared/testing/temp-dir.ts";

/**
 * What a node needs to serve from the empty directory `dir` (its TMPDIR created there), reaching no
 * Bun and no node_modules, listening on `port` (0: any free one): the recorder its identity and an
 * ingest, outside its schedule so it only serves health; the core an admin token.
 */
export function isolatedNodeEnv(node: string, dir: TempDir, port = 0): Record<string, string> {
  mkdirSync(dir.join("tmp"), { recursive: true });
  const base = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.join("tmp"), LANG: "C.UTF-8" };
  if (node === "pi") return { ...agentEnvironment(dir, "http://127.0.0.1:9", closedScheduleWindow()), ...base, RA_HEALTH_PORT: String(port) };
  const listener = { PORT: String(port), HOST: "127.0.0.1" };
  return node === "core" ? { ...base, ...listener, ADMIN_TOKEN: "isolated-node-4f8a2c9e1b7d6035" } : { ...base, ...listener };
}
