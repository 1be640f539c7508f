/**
 * The campaign studio through the core's own API and CLI, into the edge: leads CSV and a script →
 * the tts stage speaks every lead with espeak-ng → the package is downloaded (and exported by
 * `salescontrol-core campaign export`) → the edge's importer accepts it → the dialer API answers
 * a lead with its own greeting as Asterisk audio (8 kHz, mono, 16-bit).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import { coreNode } from "../core/node.ts";
import { createTestCore, type TestCore } from "../core/testing/core-test-app.ts";
import { startTestPipeline, waitFor } from "../core/testing/pipeline-test-kit.ts";
import { createEdgeTestEnvironment, type EdgeTestEnvironment, importPackage, loopback } from "../edge/testing/edge-test-kit.ts";
import { asteriskWavProblem, inspectWavHeader } from "../shared/audio/wav-format.ts";
import { runNodeCli } from "../shared/cli/node-cli.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";

const names = ["Maria", "James", "Olivia"];
const leadsCsv = ["lead_id,vendor_lead_code,phone_number,first_name,city", ...names.map((name, index) => `${4001 + index},S-${index},+1 512 555 01${index}0,${name},Austin`)].join("\r\n");
const script = { greeting: "Hello {first_name}, this is Anna from Acme.", offer: "Our fibre plan costs forty nine dollars a month." };

let dir: TempDir;
let core: TestCore;
let edge: EdgeTestEnvironment;
beforeAll(async () => {
  dir = makeTempDir();
  core = await createTestCore();
  edge = await createEdgeTestEnvironment();
});
afterAll(async () => {
  await edge.dispose();
  core.dispose();
  dir.remove();
});

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
  test("CSV + script → generate with espeak-ng → download → edge import → the dialer serves each lead its greeting as 8 kHz mono 16-bit audio", async () => {
    await admin("POST", "/api/v1/studio/campaigns", JSON.stringify({ id: "STUDIO-API", name: "Studio through the API", language: "en" }));
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
    // Three personal greetings and one offer shared by all.
    expect(wavNames(downloaded)).toHaveLength(4);
    const packagePath = dir.join("downloaded.zip");
    writeFileSync(packagePath, downloaded);
    const report = await importPackage(edge, packagePath);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ outcome: "deployed", campaign: { id: "STUDIO-API" }, leads: { valid: 3, audio_slots: ["greeting", "offer"], without_audio: 0 }, audio: { wav_files: 4 } });

    const greetings = new Set<string>();
    for (const [index, name] of names.entries()) {
      const answer = await edge.fetch(new Request(`http://127.0.0.1:8001/api/v1/leads/${4001 + index}`), loopback);
      const lead = (await answer!.json()) as { first_name: string; audio: Record<string, { url: string; default_prompt: boolean }> };
      expect(lead.first_name).toBe(name);
      expect(lead.audio.greeting!.default_prompt).toBe(false);
      const audio = new Uint8Array(await (await edge.fetch(new Request(lead.audio.greeting!.url), loopback))!.arrayBuffer());
      const inspected = inspectWavHeader(audio, audio.length);
      if (inspected.status !== "ok") throw new Error(JSON.stringify(inspected));
      expect(inspected.format).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 16 });
      expect(asteriskWavProblem(inspected.format)).toBeNull();
      greetings.add(lead.audio.greeting!.url);
    }
    expect(greetings.size).toBe(3);

    // The same package from the command line: the same clips and rows.
    const exportPath = dir.join("exported.zip");
    const exported = await coreCli(["campaign", "export", "STUDIO-API", exportPath]);
    expect(exported).toMatchObject({ code: 0, stderr: "" });
    expect(exported.stdout).toContain("3 leads, 4 clips");
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
