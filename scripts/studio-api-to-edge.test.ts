/**
 * The campaign studio through the core's own API and CLI, into the compiled edge: leads CSV and a
 * script → the tts stage speaks every lead with espeak-ng → the package is downloaded (and exported
 * by `salescontrol-core campaign export`) → the compiled edge's `import` accepts it → its dialer API
 * answers each lead with Asterisk audio (8 kHz, mono, 16-bit) in which pocketsphinx hears that
 * lead's first name and no other lead's. Build the edge first: npm run build.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import { coreNode } from "../core/node.ts";
import { createTestCore, type TestCore } from "../core/testing/core-test-app.ts";
import { startTestPipeline, waitFor } from "../core/testing/pipeline-test-kit.ts";
import { createTelephoneSpeechRecogniser, type TelephoneSpeechRecogniser } from "../core/testing/telephone-speech-recogniser.ts";
import { asteriskWavProblem, inspectWavHeader } from "../shared/audio/wav-format.ts";
import { runNodeCli } from "../shared/cli/node-cli.ts";
import { runCommand } from "../shared/runtime/process.ts";
import { type RunningNodeProcess, startNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { binaryPath } from "./build.ts";
import { isolatedNodeEnv } from "./testing/isolated-node.ts";

// Names with distinct sounds, spoken by espeak-ng's Klatt voice, which pocketsphinx's English model
// hears through the telephone band (see core/testing/telephone-speech-recogniser.ts).
const names = ["Robert", "Daniel", "Thomas", "Jennifer", "Victor", "Margaret"];
const voice = "en-us+klatt";
const leadsCsv = ["lead_id,vendor_lead_code,phone_number,first_name,city", ...names.map((name, index) => `${4001 + index},S-${index},+1 512 555 01${index}0,${name},Austin`)].join("\r\n");
const script = { greeting: "Hello {first_name}, this is Anna from Acme.", offer: "Our fibre plan costs forty nine dollars a month." };
const greetingOf = (name: string) => script.greeting.replace("{first_name}", name);

let dir: TempDir;
let core: TestCore;
let edgeDir: TempDir;
let edgeBinary: string;
let edgeEnv: Record<string, string>;
let edgeServer: RunningNodeProcess;
let recogniser: TelephoneSpeechRecogniser;
beforeAll(async () => {
  const source = binaryPath("edge", "x64");
  if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
  dir = makeTempDir();
  core = await createTestCore();
  edgeDir = makeTempDir("salescontrol-edge-binary-");
  edgeBinary = edgeDir.join("salescontrol-edge");
  copyFileSync(source, edgeBinary);
  edgeEnv = isolatedNodeEnv("edge", edgeDir);
  edgeServer = await startNodeProcess(edgeBinary, ["serve"], { cwd: edgeDir.path, env: edgeEnv });
  recogniser = createTelephoneSpeechRecogniser(names.map(greetingOf));
});
afterAll(async () => {
  if (edgeServer) expect(await edgeServer.stop("SIGTERM")).toBe(0);
  recogniser?.dispose();
  core.dispose();
  edgeDir?.remove();
  dir.remove();
});

const edgeCli = (args: string[]) => runCommand(edgeBinary, args, { cwd: edgeDir.path, env: edgeEnv });

async function admin(method: string, path: string, body?: string, type = "application/json") {
  const response = await core.admin(path, { method, ...(body === undefined ? {} : { body, headers: { "content-type": type } }) });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

async function coreCli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const env = { DATA_DIR: core.database.dir.path, DATABASE_URL: core.database.url, LOG_LEVEL: "error" };
  const code = await runNodeCli(coreNode, { argv, env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

const wavNames = (zip: Uint8Array) => Object.keys(unzipSync(zip)).filter((name) => name.endsWith(".wav")).sort();

describe("studio API and CLI to the edge", () => {
  test("CSV + script → generate with espeak-ng → download → the compiled edge's import → the dialer serves each lead a greeting in which pocketsphinx hears its own first name", async () => {
    await admin("POST", "/api/v1/studio/campaigns", JSON.stringify({ id: "STUDIO-API", name: "Studio through the API", language: "en", voice }));
    await admin("PUT", "/api/v1/studio/campaigns/STUDIO-API/leads", leadsCsv, "text/csv");
    await admin("PUT", "/api/v1/studio/campaigns/STUDIO-API/script", JSON.stringify({ slots: script }));
    await admin("POST", "/api/v1/studio/campaigns/STUDIO-API/generate");
    const pipeline = startTestPipeline(core, { vad: false });
    try {
      await waitFor("the campaign to be ready", async () => ((await (await admin("GET", "/api/v1/studio/campaigns/STUDIO-API")).json()) as { state: string }).state === "ready");
    } finally {
      await pipeline.stop();
    }

    const downloaded = new Uint8Array(await (await admin("GET", "/api/v1/studio/campaigns/STUDIO-API/package")).arrayBuffer());
    // A personal greeting per lead and one offer shared by all.
    expect(wavNames(downloaded)).toHaveLength(names.length + 1);
    const packagePath = dir.join("downloaded.zip");
    writeFileSync(packagePath, downloaded);
    const imported = await edgeCli(["import", packagePath]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toStartWith(`campaign STUDIO-API "Studio through the API" deployed: ${names.length} leads, ${names.length + 1} audio files`);
    await waitFor("the running edge to serve the campaign", async () => (await fetch(`${edgeServer.url}/api/v1/campaign`)).status === 200);

    const greetings = new Set<string>();
    for (const [index, name] of names.entries()) {
      const answer = await fetch(`${edgeServer.url}/api/v1/leads/${4001 + index}`);
      expect(answer.status).toBe(200);
      const lead = (await answer.json()) as { first_name: string; audio: Record<string, { url: string; default_prompt: boolean }> };
      expect(lead.first_name).toBe(name);
      expect(lead.audio.greeting!.default_prompt).toBe(false);
      const served = await fetch(lead.audio.greeting!.url);
      expect(served.status).toBe(200);
      const audio = new Uint8Array(await served.arrayBuffer());
      const inspected = inspectWavHeader(audio, audio.length);
      if (inspected.status !== "ok") throw new Error(JSON.stringify(inspected));
      expect(inspected.format).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 16 });
      expect(asteriskWavProblem(inspected.format)).toBeNull();
      greetings.add(lead.audio.greeting!.url);

      // What a listener hears: this lead's name, and none of the others'.
      const clip = dir.join(`greeting-${lead.first_name}.wav`);
      writeFileSync(clip, audio);
      const heard = (await recogniser.transcribe(clip)).split(" ");
      expect({ name, heard: heard.includes(name.toLowerCase()) }).toEqual({ name, heard: true });
      expect(heard.filter((word) => names.some((other) => other !== name && other.toLowerCase() === word))).toEqual([]);
    }
    expect(greetings.size).toBe(names.length);

    // The same package from the command line: the same clips and rows.
    const exportPath = dir.join("exported.zip");
    const exported = await coreCli(["campaign", "export", "STUDIO-API", exportPath]);
    expect(exported).toMatchObject({ code: 0, stderr: "" });
    expect(exported.stdout).toContain(`${names.length} leads, ${names.length + 1} clips`);
    const exportedZip = new Uint8Array(readFileSync(exportPath));
    expect(wavNames(exportedZip)).toEqual(wavNames(downloaded));
    expect(strFromU8(unzipSync(exportedZip)["leads.csv"]!)).toBe(strFromU8(unzipSync(downloaded)["leads.csv"]!));
  }, 180_000);

  test("`campaign export` refuses bad usage (2) and a campaign that is unknown or not ready (1), writing nothing", async () => {
    expect((await coreCli(["campaign", "export", "STUDIO-API"])).code).toBe(2);
    expect((await coreCli(["campaign", "publish", "STUDIO-API", dir.join("x.zip")])).code).toBe(2);
    const unknown = await coreCli(["campaign", "export", "NOPE", dir.join("nope.zip")]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no studio campaign "NOPE"');
    await admin("POST", "/api/v1/studio/campaigns", JSON.stringify({ id: "DRAFT", name: "Draft", language: "ru" }));
    const draft = await coreCli(["campaign", "export", "DRAFT", dir.join("draft.zip")]);
    expect(draft.code).toBe(1);
    expect(draft.stderr).toContain("is draft");
    expect(() => readFileSync(dir.join("nope.zip"))).toThrow();
    expect(() => readFileSync(dir.join("draft.zip"))).toThrow();
  });
});
