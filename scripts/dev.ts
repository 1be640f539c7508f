/**
 * Runs all three nodes locally from source on their embedded defaults: core on :8000, edge on
 * :8001, the recorder's health endpoint on 127.0.0.1:8042, each with its database under ./data.
 * Ctrl-C stops them all (each finishes its in-flight work and exits 0).
 *   npm start
 */
import { join } from "node:path";
import { spawnProcess, type ChildProcessHandle } from "../shared/runtime/process.ts";

const root = join(import.meta.dir, "..");
const nodes = [
  // DEV_MODE: without ADMIN_TOKEN the core generates one into data/core/admin-token.
  { name: "core", env: { DEV_MODE: "true" } },
  { name: "edge", env: {} },
  { name: "pi", env: {} },
] as const;

const children = new Map<string, ChildProcessHandle>();
let stopping = false;

const stopAll = async (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill(signal);
  const codes = await Promise.all([...children.values()].map((child) => child.exited));
  process.exit(codes.every((code) => code === 0) ? 0 : 1);
};
process.on("SIGINT", () => void stopAll("SIGTERM"));
process.on("SIGTERM", () => void stopAll("SIGTERM"));

for (const node of nodes) {
  const child = spawnProcess(process.execPath, [join(root, node.name, "main.ts"), "serve"], {
    cwd: root,
    env: { ...process.env, ...node.env },
    stdout: "inherit",
    stderr: "inherit",
    detached: true,
  });
  children.set(node.name, child);
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(`${node.name} exited with code ${code}; stopping the others`);
    void stopAll("SIGTERM");
  });
}
console.error(
  "SalesControl running locally: core http://127.0.0.1:8000 (admin token in data/core/admin-token)  edge http://127.0.0.1:8001  pi health http://127.0.0.1:8042/health  (Ctrl-C stops)",
);
