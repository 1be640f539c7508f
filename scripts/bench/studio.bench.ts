/**
 * The campaign studio's figures, each beside a baseline measured in the same run:
 *   - generation: leads with a personal greeting and a shared offer line spoken by espeak-ng
 *     through the studio (synthesis cache, parallel workers, loudness normalisation), beside a bare
 *     loop calling espeak-ng + ffmpeg once per lead and slot;
 *   - export: peak memory of streaming a package of a tenth of the export leads and of all of them,
 *     each lead its own greeting file (100,000 leads: 100,002 entries, a zip64 package past 4 GiB
 *     with the generated clip), beside the process's memory before the export.
 *   bun run bench studio [leads=300] [export leads=50000] [workers=2] [loop leads=leads]
 *   The bare loop's cost per lead does not depend on the campaign, so a large run may time it on its
 *   first `loop leads` and scale that to all the leads; the table says when it does.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createEspeakSpeechProvider } from "../../core/studio/espeak-speech-provider.ts";
import { prepareLeadLines, speakLeadLines } from "../../core/studio/lead-audio.ts";
import type { StudioLead } from "../../core/studio/studio-leads.ts";
import { type StudioPackageClip, type StudioPackageLead, writeStudioPackage } from "../../core/studio/studio-package.ts";
import { createSynthesisCache, type SynthesizedSpeech } from "../../core/studio/synthesis-cache.ts";
import { CampaignPackageStream, packageFileSink } from "../../shared/campaign-package/campaign-package-stream.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { printTable, residentMegabytes } from "./bench-report.ts";

const leadCount = Number(process.argv[2] ?? 300);
const exportLeadCount = Number(process.argv[3] ?? 50_000);
const workers = Number(process.argv[4] ?? 2);
const loopLeadCount = Math.min(leadCount, Number(process.argv[5] ?? leadCount));
const work = makeTempDir("salescontrol-studio-bench-");
process.on("exit", () => work.remove());

const firstNames = ["Maria", "James", "Olivia", "Diego", "Aisha", "Tomasz", "Chen", "Fatima", "Liam", "Sofia", "Noah", "Amara", "Lucas", "Priya", "Ethan", "Hana", "Mateo", "Zara", "Ivan", "Elena"];
const script = { greeting: "Hello {first_name}, this is Anna from Acme Telecom.", offer: "This week only, new customers get three months of fibre at half price." };
const leadOf = (index: number): StudioLead => ({ leadId: 100_001 + index, rowNumber: index + 1, phoneNumber: `5125${String(index).padStart(6, "0")}`, vendorLeadCode: "", fields: { first_name: firstNames[index % firstNames.length]! } });

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Runs `work` over the indexes 0…count-1 with `parallel` workers. */
async function inParallel(count: number, parallel: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await work(next++);
  }));
}

// Generation through the studio.
log(`generating ${leadCount} leads through the studio (${workers} workers)…`);
const synthesis = createSynthesisCache({ directory: work.join("speech"), provider: createEspeakSpeechProvider() });
const generated: StudioPackageLead[] = new Array(leadCount);
let started = performance.now();
await inParallel(leadCount, workers, async (index) => {
  const lead = leadOf(index);
  const prepared = await prepareLeadLines({ rephraser: null }, { script, lead, language: "en", rephrase: false });
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.missing));
  generated[index] = { lead, audio: await speakLeadLines({ synthesis }, { lines: prepared.lines, voice: { language: "en" }, ulaw: true }) };
});
const studioSeconds = (performance.now() - started) / 1000;
const packagePath = work.join("studio.zip");
started = performance.now();
const written = await writeStudioPackage(new CampaignPackageStream(packageFileSink(packagePath)), {
  campaign: { id: "BENCH", name: "Studio bench" },
  columns: ["lead_id", "phone_number", "first_name"],
  slots: Object.keys(script),
  leads: () => generated,
  ulaw: true,
  generator: { name: "salescontrol-core-studio", version: "bench" },
});
const studioExportSeconds = (performance.now() - started) / 1000;

// The bare loop: espeak-ng + ffmpeg for every lead and slot.
log(`generating ${loopLeadCount} leads with a bare espeak-ng + ffmpeg loop…`);
const loopDirectory = work.join("loop");
mkdirSync(loopDirectory);
started = performance.now();
for (let index = 0; index < loopLeadCount; index++) {
  const lead = leadOf(index);
  for (const [slot, template] of Object.entries(script)) {
    const text = template.replace("{first_name}", lead.fields.first_name!);
    const spoken = join(loopDirectory, `${lead.leadId}-${slot}.espeak.wav`);
    const said = await runCommand("espeak-ng", ["-v", "en-us", "-w", spoken, text]);
    if (said.code !== 0) throw new Error(said.stderr);
    const converted = await runCommand("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", spoken, "-ar", "8000", "-ac", "1", "-c:a", "pcm_s16le", join(loopDirectory, `${lead.leadId}-${slot}.wav`)]);
    if (converted.code !== 0) throw new Error(converted.stderr);
    rmSync(spoken);
  }
}
const loopMeasuredSeconds = (performance.now() - started) / 1000;
const loopSeconds = (loopMeasuredSeconds * leadCount) / loopLeadCount;

// Export memory: every lead its own greeting entry (the clip file is reused on disk to keep the run short).
async function exportPeak(count: number): Promise<{ before: number; peak: number; seconds: number; bytes: number }> {
  Bun.gc(true);
  const before = residentMegabytes(process.pid).total;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, residentMegabytes(process.pid).total);
  }, 5);
  const greeting = generated[0]!.audio.greeting!;
  const offer = generated[0]!.audio.offer! as SynthesizedSpeech;
  const greetingOf = (index: number) => ({ ...greeting, key: index.toString(16).padStart(64, "0") });
  async function* leads(): AsyncIterable<StudioPackageLead> {
    for (let index = 0; index < count; index++) yield { lead: leadOf(index), audio: { greeting: greetingOf(index), offer } };
  }
  // The distinct clips as the studio reads them from its database: each once, nothing remembered.
  async function* clips(): AsyncIterable<StudioPackageClip> {
    yield offer;
    for (let index = 0; index < count; index++) yield greetingOf(index);
  }
  const path = work.join(`export-${count}.zip`);
  const exportStarted = performance.now();
  const result = await writeStudioPackage(new CampaignPackageStream(packageFileSink(path)), {
    campaign: { id: "BENCH", name: "Studio bench" },
    columns: ["lead_id", "phone_number", "first_name"],
    slots: Object.keys(script),
    leads,
    clips,
    ulaw: false,
    generator: { name: "salescontrol-core-studio", version: "bench" },
  });
  clearInterval(sampler);
  peak = Math.max(peak, residentMegabytes(process.pid).total);
  rmSync(path);
  return { before, peak, seconds: (performance.now() - exportStarted) / 1000, bytes: result.bytes };
}
log(`exporting ${exportLeadCount / 10} and ${exportLeadCount} leads…`);
const smallExport = await exportPeak(exportLeadCount / 10);
const largeExport = await exportPeak(exportLeadCount);

const counts = synthesis.counts();
console.log(`\nGeneration: ${leadCount} leads × 2 slots (greeting with one of ${firstNames.length} first names, one shared offer), espeak-ng, ${workers} workers`);
printTable(
  ["", "seconds", "leads/s", "clips synthesised"],
  [
    ["studio (cache + workers + loudness)", studioSeconds, leadCount / studioSeconds, counts.synthesized],
    [loopLeadCount === leadCount ? "bare loop (espeak-ng + ffmpeg)" : `bare loop (espeak-ng + ffmpeg), timed on ${loopLeadCount} leads (${loopMeasuredSeconds.toFixed(1)} s) and scaled`, loopSeconds, leadCount / loopSeconds, leadCount * 2],
  ],
);
console.log(`studio ÷ bare loop, time to the same leads: ${(studioSeconds / loopSeconds).toFixed(3)}`);
console.log(`studio package: ${(written.bytes / 1e6).toFixed(1)} MB, ${written.clips} clips, written in ${studioExportSeconds.toFixed(2)} s`);
console.log("\nExport (streamed to a file): resident memory of this process");
printTable(
  ["leads", "package MB", "seconds", "RSS before MB", "peak RSS MB", "growth MB"],
  [
    [exportLeadCount / 10, smallExport.bytes / 1e6, smallExport.seconds, smallExport.before, smallExport.peak, smallExport.peak - smallExport.before],
    [exportLeadCount, largeExport.bytes / 1e6, largeExport.seconds, largeExport.before, largeExport.peak, largeExport.peak - largeExport.before],
  ],
);
