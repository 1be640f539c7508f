/**
 * Runs all three nodes locally from source on their embedded defaults: core on :8000, edge on
 * :8001, the recorder's health endpoint on 127.0.0.1:8042, each with its database under ./data.
 * The core transcribes with a local offline English recogniser (pocketsphinx behind the OpenAI
 * wire format) and analyses with the offline rules, and a demo register uploads a few shop
 * conversations once, so a fresh install shows real results. Ctrl-C stops everything (each node
 * finishes its in-flight work and exits 0).
 *   npm start                 npm start -- --no-demo   (no demo conversations)
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnProcess, type ChildProcessHandle } from "../shared/runtime/process.ts";
import { waitForHttpOk } from "../shared/testing/node-process.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../core/testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "../core/testing/sales-corpus.ts";
import { acousticModelPath } from "../core/testing/speech-language-model.ts";
import { feedDemoShop, registerDevice } from "./dev/demo-shop.ts";

const root = join(import.meta.dir, "..");
const log = (message: string) => console.error(message);
const demo = !process.argv.includes("--no-demo");

// Transcription: the settings in the environment if any, else the local recogniser when it is installed.
let recogniser: OpenAiCompatibleServer | null = null;
// Only an explicit server takes the demo's audio; an OpenAI key alone is for the analysis.
const transcriptionConfigured = Boolean(process.env.TRANSCRIPTION_BASE_URL);
if (!transcriptionConfigured && existsSync("/usr/bin/pocketsphinx_continuous") && existsSync(acousticModelPath)) {
  recogniser = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus });
} else if (!transcriptionConfigured) {
  log("pocketsphinx is not installed (scripts/setup.sh installs it): dialogues will wait for a transcription server");
}

/**
 * The local recorder: generated shop-floor noise (no speech) instead of a microphone, around the
 * clock, 10-second chunks into ./data/pi/spool, uploaded to the local core as a demo device that is
 * registered below once the core answers.
 */
const demoRecorder = {
  RA_POINT_ID: "00000000-0000-4000-8000-00000000d001",
  RA_REGISTER_ID: "00000000-0000-4000-8000-00000000d002",
  RA_DEVICE_ID: "00000000-0000-4000-8000-00000000d003",
  RA_INGEST_BASE_URL: "http://127.0.0.1:8000",
  RA_INGEST_TOKEN: "demo-recorder-token-0123456789",
  RA_AUDIO_INPUT: "lavfi:anoisesrc=color=pink:amplitude=0.03:sample_rate=48000",
  RA_SCHEDULE_START: "00:00",
  RA_SCHEDULE_END: "00:00",
  RA_CHUNK_SECONDS: "10",
  RA_SPOOL_DIR: "./data/pi/spool",
};


const nodes = [
  // DEV_MODE: without ADMIN_TOKEN the core generates one into data/core/admin-token.
  { name: "core", env: { DEV_MODE: "true", ...(recogniser ? { TRANSCRIPTION_BASE_URL: recogniser.baseUrl, TRANSCRIPTION_MODEL: "pocketsphinx-en-us", TRANSCRIPTION_LANGUAGE: "en" } : {}) } },
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
  await recogniser?.stop();
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
    log(`${node.name} exited with code ${code}; stopping the others`);
    void stopAll("SIGTERM");
  });
}
log(
  `SalesControl running locally: core http://127.0.0.1:8000 (admin token in data/core/admin-token)  edge http://127.0.0.1:8001  pi health http://127.0.0.1:8042/health${recogniser ? `  transcription ${recogniser.baseUrl} (pocketsphinx, English)` : ""}  (Ctrl-C stops)`,
);

const coreUrl = `http://127.0.0.1:${process.env.PORT ?? 8000}`;
try {
  await waitForHttpOk(`${coreUrl}/health`, 60_000);
  const adminToken = process.env.ADMIN_TOKEN ?? readFileSync(join(process.env.DATA_DIR ?? join(root, "data/core"), "admin-token"), "utf8").trim();
  // The recorder's demo identity, registered once so its chunks are accepted.
  const recorderIdentity = { point_id: demoRecorder.RA_POINT_ID, register_id: demoRecorder.RA_REGISTER_ID, device_id: demoRecorder.RA_DEVICE_ID };
  await registerDevice(coreUrl, adminToken, recorderIdentity, demoRecorder.RA_INGEST_TOKEN);
  if (demo && recogniser) await feedDemoShop({ coreUrl, adminToken, stateDir: join(root, "data/dev"), log });
} catch (error) {
  if (!stopping) log(`demo setup incomplete: ${(error as Error).message}`);
}
