/**
 * Builds realistic campaign packages of any size, for tests, demos and benchmarks: leads with
 * VICIdial's fields, and per-lead greetings spoken by espeak-ng and converted to 8 kHz WAV.
 *   bun scripts/campaign-package/generate-campaign-package.ts --leads 1000 --audio 100 --out demo.zip
 * Options: --leads N  --audio N (WAV files)  --out <zip>  --campaign-id ID  --campaign-name NAME
 *          --format csv|sql  --ulaw (add .ulaw siblings)  --default-audio (a campaign fallback prompt)
 *          --lead-id-start N  --cache <dir> (espeak/ffmpeg phrase cache)
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { encodeMuLaw, encodePcmWav } from "../../shared/audio/wav-format.ts";
import { ulawSiblingPath } from "../../shared/contracts/campaign-package.ts";
import { CampaignPackageStream, packageFileSink } from "../../shared/campaign-package/campaign-package-stream.ts";
import { csvLine, sqlLiteral } from "../../shared/campaign-package/campaign-package-writer.ts";
import { createSpeechSynthesizer, joinPcm, type SpeechSynthesizer, silence } from "./speech-synthesizer.ts";

export interface GenerateOptions {
  outPath: string;
  leads: number;
  /** WAV files (greetings plus up to three shared offers); .ulaw siblings come on top. */
  audioFiles: number;
  campaignId?: string;
  campaignName?: string;
  format?: "csv" | "sql";
  ulaw?: boolean;
  /** Adds audio/default.wav and names it in the manifest as the campaign's fallback prompt. */
  defaultAudio?: boolean;
  leadIdStart?: number;
  speechCacheDirectory?: string;
  createdAt?: string;
}

export interface GeneratedPackage {
  path: string;
  bytes: number;
  leads: number;
  wavFiles: number;
  leadIds: number[];
  campaignId: string;
}

const firstNames = ["Maria", "James", "Aisha", "Tomasz", "Chen", "Olivia", "Diego", "Fatima", "Liam", "Sofia", "Noah", "Amara", "Lucas", "Priya", "Ethan", "Hana"];
const lastNames = ["Garcia", "Smith", "Khan", "Nowak", "Wang", "Brown", "Silva", "Haddad", "Murphy", "Rossi", "Jones", "Okafor", "Martin", "Patel", "Taylor", "Sato"];
const cities: Array<[string, string, string]> = [
  ["Austin", "TX", "78701"],
  ["Denver", "CO", "80202"],
  ["Tampa", "FL", "33602"],
  ["Boise", "ID", "83702"],
  ["Omaha", "NE", "68102"],
  ["Salem", "OR", "97301"],
];
const offers = [
  "We can lower your home internet bill this month with our fibre plan.",
  "Your current plan qualifies for a free upgrade to unlimited calling.",
  "This week only, new customers get three months of service at half price.",
];
const digitWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

export const defaultSpeechCache = join(import.meta.dir, "../../.cache/campaign-speech");

export async function generateCampaignPackage(options: GenerateOptions): Promise<GeneratedPackage> {
  if (options.leads < 1) throw new Error("a package needs at least one lead");
  if (options.audioFiles < 1) throw new Error("a package needs at least one audio file");
  const speech = createSpeechSynthesizer({ cacheDirectory: options.speechCacheDirectory ?? defaultSpeechCache });
  const campaignId = options.campaignId ?? "DEMO";
  const offerCount = Math.min(offers.length, Math.max(0, options.audioFiles - 1));
  const greetingCount = options.audioFiles - offerCount;
  const leadIdStart = options.leadIdStart ?? 1001;
  const format = options.format ?? "csv";

  await preloadVocabulary(speech, offerCount);
  const writer = new CampaignPackageStream(packageFileSink(options.outPath));
  const leadIds: number[] = [];
  let bytes = 0;
  try {
    const addAudio = async (path: string, pcm: Uint8Array) => {
      await writer.addFile(path, encodePcmWav(pcm));
      if (options.ulaw) await writer.addFile(ulawSiblingPath(path), encodeMuLaw(pcm));
    };
    for (let index = 0; index < greetingCount; index++) await addAudio(greetingPath(index), await greetingSpeech(speech, index));
    for (let index = 0; index < offerCount; index++) await addAudio(`audio/offer/offer-${index + 1}.wav`, await speech.speak(offers[index]!));
    if (options.defaultAudio) await addAudio("audio/default.wav", await speech.speak("Thank you for taking our call. An agent will be with you shortly."));

    const columns = ["lead_id", "vendor_lead_code", "phone_code", "phone_number", "first_name", "last_name", "address1", "city", "state", "postal_code", "email", "comments", "audio_greeting"];
    if (offerCount > 0) columns.push("audio_offer");
    const leadsFile = writer.openFile(format === "csv" ? "leads.csv" : "leads.sql", { compress: true });
    if (format === "csv") await leadsFile.push(csvLine(columns));
    let sqlRows: string[] = [];
    const flushSql = async () => {
      if (sqlRows.length === 0) return;
      await leadsFile.push(`INSERT INTO vicidial_list (${columns.join(", ")}) VALUES\n${sqlRows.join(",\n")};\n`);
      sqlRows = [];
    };
    let chunk = "";
    for (let index = 0; index < options.leads; index++) {
      const values = leadValues(index, leadIdStart, greetingCount, offerCount);
      leadIds.push(Number(values[0]));
      if (format === "csv") {
        chunk += csvLine(values);
        if (chunk.length > 256 * 1024) {
          await leadsFile.push(chunk);
          chunk = "";
        }
      } else {
        sqlRows.push(`(${values.map(sqlLiteral).join(", ")})`);
        if (sqlRows.length === 500) await flushSql();
      }
    }
    if (chunk) await leadsFile.push(chunk);
    await flushSql();
    await leadsFile.end();
    bytes = (await writer.finish({
      campaign: { id: campaignId, name: options.campaignName ?? `Demo campaign ${campaignId}` },
      leadCount: options.leads,
      createdAt: options.createdAt,
      defaultAudio: options.defaultAudio ? "audio/default.wav" : undefined,
    })).bytes;
  } catch (error) {
    await writer.abort(error);
    throw error;
  }
  return { path: options.outPath, bytes, leads: options.leads, wavFiles: greetingCount + offerCount + (options.defaultAudio ? 1 : 0), leadIds, campaignId };
}

function greetingPath(index: number): string {
  return `audio/greeting/greeting-${index + 1}.wav`;
}

function leadValues(index: number, leadIdStart: number, greetingCount: number, offerCount: number): Array<string | number> {
  const greeting = index % greetingCount;
  const first = firstNames[greeting % firstNames.length]!;
  const last = lastNames[Math.floor(index / firstNames.length) % lastNames.length]!;
  const [city, state, postal] = cities[index % cities.length]!;
  const leadId = leadIdStart + index;
  const values: Array<string | number> = [
    leadId,
    `V${String(leadId).padStart(8, "0")}`,
    "1",
    `512${String(5_550_000 + index).padStart(7, "0")}`,
    first,
    last,
    `${100 + (index % 900)} Main St`,
    city,
    state,
    postal,
    `${first.toLowerCase()}.${last.toLowerCase()}${index}@example.com`,
    index % 7 === 0 ? 'Asked for a call back "after 5pm", prefers email' : "",
    greetingPath(greeting),
  ];
  if (offerCount > 0) values.push(`offer/offer-${(index % offerCount) + 1}`);
  return values;
}

/** Greeting n: the lead's first name and a reference number spoken digit by digit. */
async function greetingSpeech(speech: SpeechSynthesizer, index: number): Promise<Uint8Array> {
  const name = firstNames[index % firstNames.length]!;
  const reference = String(1000 + index).split("").map((digit) => digitWords[Number(digit)]!);
  const parts = [await speech.speak(`Hello ${name}.`), silence(150), await speech.speak("Reference")];
  for (const word of reference) parts.push(silence(60), await speech.speak(word));
  parts.push(silence(200));
  return joinPcm(parts);
}

/** Synthesises every phrase once, two at a time (the machine's cores are shared). */
async function preloadVocabulary(speech: SpeechSynthesizer, offerCount: number): Promise<void> {
  const phrases = [...firstNames.map((name) => `Hello ${name}.`), "Reference", ...digitWords, ...offers.slice(0, offerCount)];
  const queue = [...phrases];
  await Promise.all(
    [0, 1].map(async () => {
      while (queue.length > 0) await speech.speak(queue.shift()!);
    }),
  );
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const index = args.indexOf(`--${name}`);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const outPath = option("out");
  if (!outPath) {
    console.error("usage: bun scripts/campaign-package/generate-campaign-package.ts --leads N --audio N --out <zip> [--campaign-id ID] [--campaign-name NAME] [--format csv|sql] [--ulaw] [--default-audio] [--lead-id-start N] [--cache DIR]");
    process.exit(2);
  }
  const started = performance.now();
  const generated = await generateCampaignPackage({
    outPath,
    leads: Number(option("leads") ?? 100),
    audioFiles: Number(option("audio") ?? 10),
    campaignId: option("campaign-id"),
    campaignName: option("campaign-name"),
    format: option("format") === "sql" ? "sql" : "csv",
    ulaw: args.includes("--ulaw"),
    defaultAudio: args.includes("--default-audio"),
    leadIdStart: option("lead-id-start") ? Number(option("lead-id-start")) : undefined,
    speechCacheDirectory: option("cache"),
  });
  console.log(`${generated.path}: ${generated.leads} leads, ${generated.wavFiles} WAV files, ${(statSync(generated.path).size / 1e6).toFixed(1)} MB in ${Math.round(performance.now() - started)} ms`);
}
