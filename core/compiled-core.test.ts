/**
 * The compiled core as a user runs it: the x64 binary alone in an empty directory, with no Bun and
 * no node_modules reachable. It must ingest a chunk, find its speech with the WASM decoder and VAD
 * embedded in it, transcribe the dialogue through an OpenAI-compatible server and analyse it.
 * Build it first: npm run build.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { startNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { binaryPath } from "../scripts/build.ts";
import { driveCoreThroughAnalysis, transcribingCoreEnv } from "./testing/core-over-http.ts";
import { startOpenAiCompatibleServer } from "./testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "./testing/sales-corpus.ts";

const dirs: TempDir[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

describe("core-linux-x64", () => {
  test("ingests a chunk, finds its speech, transcribes and analyses the dialogue, from an empty directory", async () => {
    const source = binaryPath("core", "x64");
    if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
    const dir = makeTempDir("salescontrol-core-binary-");
    dirs.push(dir);
    const binary = dir.join("salescontrol-core");
    copyFileSync(source, binary);
    mkdirSync(dir.join("tmp"));
    const adminToken = randomUUID();
    const provider = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus });
    const env = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.join("tmp"), LANG: "C.UTF-8", PORT: "0", HOST: "127.0.0.1", ...transcribingCoreEnv(adminToken, provider.baseUrl) };
    const core = await startNodeProcess(binary, ["serve"], { cwd: dir.path, env });
    try {
      await driveCoreThroughAnalysis(core.url, adminToken, dir.join("data/core/audio"), expect);
    } finally {
      expect(await core.stop("SIGTERM")).toBe(0);
      await provider.stop();
    }
  });
});
