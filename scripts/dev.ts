/**
 * Runs all three nodes locally from source on their embedded defaults: core on :8000, edge on
 * :8001, the recorder's health endpoint on 127.0.0.1:8042, each with its database under ./data.
 * Ctrl-C stops them all (each finishes its in-flight work and exits 0).
 *   npm start
 */
import { join } from "node:path";
import { spawnProcess, type ChildProcessHandle } from "../shared/runtime/process.ts";

const root = join(import.meta.dir, "..");

/**
 * The local recorder: a generated tone instead of a microphone, around the clock, 10-second chunks
 * into ./data/pi/spool, uploaded to the local core with a fixed demo identity. Until that device is
 * registered on the core, the recorder keeps its chunks queued and retries.
 */
const demoRecorder = {
  RA_POINT_ID: "00000000-0000-4000-8000-00000000d001",
  RA_REGISTER_ID: "00000000-0000-4000-8000-00000000d002",
  RA_DEVICE_ID: "00000000-0000-4000-8000-00000000d003",
  RA_INGEST_BASE_URL: "http://127.0.0.1:8000",
  RA_INGEST_TOKEN: "demo-recorder-token-0123456789",
  RA_AUDIO_INPUT: "lavfi:sine=frequency=440:beep_factor=4:sample_rate=48000",
  RA_SCHEDULE_START: "00:00",
  RA_SCHEDULE_END: "00:00",
  RA_CHUNK_SECONDS: "10",
  RA_SPOOL_DIR: "./data/pi/spool",
};

const nodes = [
  { name: "core", env: {} },
  { name: "edge", env: {} },
  { name: "pi", env: demoRecorder },
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
    env: { ...node.env, ...process.env },
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
console.error("SalesControl running locally: core http://127.0.0.1:8000  edge http://127.0.0.1:8001  pi health http://127.0.0.1:8042/health  (Ctrl-C stops)");
