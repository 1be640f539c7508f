/**
 * The campaign studio's output against the real edge: leads CSV and a script → espeak-ng speech →
 * a package written by the studio → the edge's importer accepts it → the dialer API answers each
 * lead with Asterisk audio that is the clip spoken from that lead's own greeting.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import { prepareLeadLines, speakLeadLines } from "../core/studio/lead-audio.ts";
import { createEspeakSpeechProvider } from "../core/studio/espeak-speech-provider.ts";
import { readStudioLeads } from "../core/studio/studio-leads.ts";
import { type StudioPackageLead, writeStudioPackage } from "../core/studio/studio-package.ts";
import { createSynthesisCache } from "../core/studio/synthesis-cache.ts";
import { createEdgeTestEnvironment, type EdgeTestEnvironment, importPackage, loopback } from "../edge/testing/edge-test-kit.ts";
import { asteriskWavProblem, inspectWavHeader } from "../shared/audio/wav-format.ts";
import { CampaignPackageStream, packageFileSink } from "../shared/campaign-package/campaign-package-stream.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";

const names = ["Maria", "James", "Olivia", "Diego"];
const leadsCsv = ["lead_id,vendor_lead_code,phone_number,first_name,city", ...names.map((name, index) => `${2001 + index},S-${index},+1 512 555 01${index}0,${name},Austin`)].join("\r\n");
const script = { greeting: "Hello {first_name}, this is Anna from Acme.", offer: "Our fibre plan costs forty nine dollars a month." };

let dir: TempDir;
let edge: EdgeTestEnvironment;
beforeAll(async () => {
  dir = makeTempDir();
  edge = await createEdgeTestEnvironment();
});
afterAll(async () => {
  await edge.dispose();
  dir.remove();
});

describe("studio package on the edge", () => {
  test("CSV + script → espeak-ng → package → edge import → the dialer serves each lead its own greeting and the shared offer", async () => {
    const read = await readStudioLeads(leadsCsv);
    if (!read.ok) throw new Error(JSON.stringify(read.problems));
    const synthesis = createSynthesisCache({ directory: dir.join("speech"), provider: createEspeakSpeechProvider() });
    const generated: StudioPackageLead[] = [];
    for (const lead of read.leads) {
      const prepared = await prepareLeadLines({ rephraser: null }, { script, lead, language: "en", rephrase: false });
      if (!prepared.ok) throw new Error(JSON.stringify(prepared.missing));
      generated.push({ lead, audio: await speakLeadLines({ synthesis }, { lines: prepared.lines, voice: { language: "en" }, ulaw: true }) });
    }
    // Four personal greetings and one offer line shared by all.
    expect(synthesis.counts()).toEqual({ synthesized: 5, reused: 3 });

    const packagePath = dir.join("studio.zip");
    const written = await writeStudioPackage(new CampaignPackageStream(packageFileSink(packagePath)), {
      campaign: { id: "STUDIO-E2E", name: "Studio end to end" },
      columns: read.columns,
      slots: Object.keys(script),
      leads: () => generated,
      ulaw: true,
      generator: { name: "salescontrol-core-studio", version: "test" },
    });
    expect(written).toMatchObject({ leads: 4, clips: 5 });
    const files = unzipSync(new Uint8Array(readFileSync(packagePath)));
    expect(Object.keys(files).filter((name) => name.endsWith(".wav")).length).toBe(5);
    expect(strFromU8(files["leads.csv"]!).split("\r\n")[0]).toBe("lead_id,phone_number,vendor_lead_code,first_name,city,audio_greeting,audio_offer");

    const report = await importPackage(edge, packagePath);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ outcome: "deployed", campaign: { id: "STUDIO-E2E" }, leads: { valid: 4, audio_slots: ["greeting", "offer"], without_audio: 0 }, audio: { wav_files: 5, ulaw_files: 5 } });

    const served = async (url: string) => new Uint8Array(await (await edge.fetch(new Request(url), loopback))!.arrayBuffer());
    const offers = new Set<string>();
    for (const [index, name] of names.entries()) {
      const answer = await edge.fetch(new Request(`http://127.0.0.1:8001/api/v1/leads/${2001 + index}`), loopback);
      const lead = (await answer!.json()) as { first_name: string; vendor_lead_code: string; audio: Record<string, { url: string; default_prompt: boolean }> };
      expect(lead).toMatchObject({ first_name: name, vendor_lead_code: `S-${index}` });
      expect(lead.audio.greeting!.default_prompt).toBe(false);
      const audio = await served(lead.audio.greeting!.url);
      const inspected = inspectWavHeader(audio, audio.length);
      if (inspected.status !== "ok") throw new Error(JSON.stringify(inspected));
      expect(asteriskWavProblem(inspected.format)).toBeNull();
      // The clip spoken from this lead's greeting, and no other lead's.
      const own = synthesis.keyOf({ text: `Hello ${name}, this is Anna from Acme.`, language: "en" });
      expect(Buffer.compare(audio, readFileSync(dir.join("speech", own.slice(0, 2), `${own}.wav`)))).toBe(0);
      expect(lead.audio.greeting!.url).toEndWith(`/speech/${own}.wav`);
      offers.add(lead.audio.offer!.url);
    }
    expect(offers.size).toBe(1);
  });
});
