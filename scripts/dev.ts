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
import { feedDemoShop } from "./dev/demo-shop.ts";

const root = join(import.meta.dir, "..");
const log = (message: string) => console.error(message);
const demo = !process.argv.includes("--no-demo");

// Transcription: the settings in the environment if any, else the local recogniser when it is installed.
let recogniser: OpenAiCompatibleServer | null = null;
const transcriptionConfigured = Boolean(process.env.TRANSCRIPTION_BASE_URL || process.env.OPENAI_API_KEY);
if (!transcriptionConfigured && existsSync("/usr/bin/pocketsphinx_continuous") && existsSync(acousticModelPath)) {
  recogniser = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus });
} else if (!transcriptionConfigured) {
  log("pocketsphinx is not installed (scripts/setup.sh installs it): dialogues will wait for a transcription server");
}

const nodes = [
  // DEV_MODE: without ADMIN_TOKEN the core generates one into data/core/admin-token.
  { name: "core", env: { DEV_MODE: "true", ...(recogniser ? { TRANSCRIPTION_BASE_URL: recogniser.baseUrl, TRANSCRIPTION_MODEL: "pocketsphinx-en-us", TRANSCRIPTION_LANGUAGE: "en" } : {}) } },
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
  await recogniser?.stop();
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
    log(`${node.name} exited with code ${code}; stopping the others`);
    void stopAll("SIGTERM");
  });
}
log(
  `SalesControl running locally: core http://127.0.0.1:8000 (admin token in data/core/admin-token)  edge http://127.0.0.1:8001  pi health http://127.0.0.1:8042/health${recogniser ? `  transcription ${recogniser.baseUrl} (pocketsphinx, English)` : ""}  (Ctrl-C stops)`,
);

const coreUrl = `http://127.0.0.1:${process.env.PORT ?? 8000}`;
if (demo && recogniser) {
  try {
    await waitForHttpOk(`${coreUrl}/health`, 60_000);
    const adminToken = process.env.ADMIN_TOKEN ?? readFileSync(join(process.env.DATA_DIR ?? join(root, "data/core"), "admin-token"), "utf8").trim();
    await feedDemoShop({ coreUrl, adminToken, stateDir: join(root, "data/dev"), log });
  } catch (error) {
    if (!stopping) log(`demo conversations not uploaded: ${(error as Error).message}`);
  }
}
