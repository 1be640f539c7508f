import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import { encodeMuLaw, encodePcmWav } from "../../shared/audio/wav-format.ts";
import { CampaignPackageStream, packageDownloadStream, packageFileSink } from "../../shared/campaign-package/campaign-package-stream.ts";
import { planLeadColumns, parseLeadRow } from "../../shared/campaign-package/lead-rows.ts";
import { campaignPackageManifest } from "../../shared/contracts/campaign-package.ts";
import { CsvReader } from "../../shared/csv/csv-reader.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import type { StudioLead } from "./studio-leads.ts";
import { checkPackageFileCount, clipPackagePath, type StudioPackageInput, type StudioPackageLead, StudioPackageError, writeStudioPackage } from "./studio-package.ts";

const dir: TempDir = makeTempDir();
afterAll(() => dir.remove());

/** A clip file as the synthesis cache writes it: a tone whose pitch tells the clips apart. */
function clip(key: string, hz: number) {
  const samples = new Int16Array(800).map((_, index) => Math.round(8000 * Math.sin((2 * Math.PI * hz * index) / 8000)));
  const pcm = new Uint8Array(samples.buffer);
  const wavPath = dir.join(`${key}.wav`);
  const ulawPath = dir.join(`${key}.ulaw`);
  writeFileSync(wavPath, encodePcmWav(pcm));
  writeFileSync(ulawPath, encodeMuLaw(pcm));
  return { key, wavPath, ulawPath };
}

const key = (digit: string) => digit.repeat(64);
const offer = clip(key("f"), 440);
const leads: StudioPackageLead[] = ["Мария", "James", "Olivia"].map((name, index) => ({
  lead: { leadId: 3001 + index, rowNumber: index + 1, phoneNumber: `512555010${index}`, vendorLeadCode: "", fields: { first_name: name, comments: index === 1 ? 'said "call back, later"' : "" } } satisfies StudioLead,
  audio: { greeting: clip(key(String(index + 1)), 300 + index * 100), offer },
}));

const input = (overrides: Partial<StudioPackageInput> = {}): StudioPackageInput => ({
  campaign: { id: "SPRING", name: "Spring offer" },
  columns: ["lead_id", "first_name", "phone_number", "comments"],
  slots: ["greeting", "offer"],
  leads: () => leads,
  ulaw: true,
  generator: { name: "salescontrol-core-studio", version: "test" },
  createdAt: "2026-12-03T12:00:00Z",
  ...overrides,
});

describe("studio package export", () => {
  test("streams as a download: the contract's manifest, each clip once, leads.csv naming every lead's clips", async () => {
    const download = packageDownloadStream();
    const [written, body] = await Promise.all([writeStudioPackage(new CampaignPackageStream(download.sink), input()), new Response(download.body).arrayBuffer()]);
    expect(written).toEqual({ bytes: body.byteLength, leads: 3, clips: 4 });
    const files = unzipSync(new Uint8Array(body));
    const manifest = campaignPackageManifest.parse(JSON.parse(strFromU8(files["manifest.json"]!)));
    expect(manifest).toMatchObject({ campaign: { id: "SPRING", name: "Spring offer" }, lead_count: 3, generator: { name: "salescontrol-core-studio" }, created_at: "2026-12-03T12:00:00Z" });
    expect(manifest.files.map((file) => file.path).sort()).toEqual(
      [...[1, 2, 3, "f"].flatMap((digit) => [clipPackagePath(key(String(digit))), clipPackagePath(key(String(digit))).replace(/\.wav$/, ".ulaw")]), "leads.csv"].sort(),
    );
    const csv = strFromU8(files["leads.csv"]!);
    expect(csv.split("\r\n")[0]).toBe("lead_id,phone_number,first_name,comments,audio_greeting,audio_offer");
    expect(csv).toContain(`3002,5125550101,James,"said ""call back, later""",${clipPackagePath(key("2"))},${clipPackagePath(key("f"))}`);
    // The edge's own row checks accept every row, with every clip present.
    const wavFiles = new Set(manifest.files.map((file) => file.path).filter((path) => path.endsWith(".wav")));
    const rows: string[][] = [];
    const reader = new CsvReader((record) => rows.push(record.fields));
    reader.push(csv);
    reader.end();
    const planned = planLeadColumns("leads.csv", rows[0]!);
    if ("problems" in planned) throw new Error(JSON.stringify(planned.problems));
    rows.slice(1).forEach((row, index) => {
      const parsed = parseLeadRow(planned.plan, row, { rowNumber: index + 1, line: index + 2, wavFiles });
      expect("lead" in parsed ? parsed.lead.fields.first_name : parsed.problems).toBe(leads[index]!.lead.fields.first_name!);
    });
  });

  test("the package's files are counted before anything is written: up to the contract's limit, and no further", () => {
    expect(checkPackageFileCount("BIG", 99_999, true)).toBe(199_999);
    expect(checkPackageFileCount("BIG", 199_998, false)).toBe(199_999);
    const refused = (() => {
      try {
        checkPackageFileCount("BIG", 199_999, false);
      } catch (error) {
        return error as StudioPackageError;
      }
    })();
    expect(refused).toBeInstanceOf(StudioPackageError);
    expect([refused!.code, refused!.message]).toEqual([
      "studio.package_too_many_files",
      'campaign "BIG" needs 200000 files in its package (199999 distinct clips and leads.csv); a package holds at most 199999: split the campaign',
    ]);
  });

  test("a lead without audio for a slot stops the export with a code; the download fails and the file is not left behind", async () => {
    const incomplete: StudioPackageLead[] = [...leads, { lead: { ...leads[0]!.lead, leadId: 3999 }, audio: { greeting: leads[0]!.audio.greeting! } }];
    const download = packageDownloadStream();
    const reading = new Response(download.body).arrayBuffer().then(
      () => "completed",
      () => "failed",
    );
    const failure = await writeStudioPackage(new CampaignPackageStream(download.sink), input({ leads: () => incomplete })).catch((error) => error);
    expect(failure).toBeInstanceOf(StudioPackageError);
    expect([failure.code, failure.message]).toEqual(["studio.audio_missing", "lead 3999 has no audio for slot offer; generate it before exporting"]);
    expect(await reading).toBe("failed");

    const path = dir.join("out", "spring.zip");
    await expect(writeStudioPackage(new CampaignPackageStream(packageFileSink(path)), input({ leads: () => incomplete }))).rejects.toThrow("lead 3999");
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir.join("out"))).toEqual([]);
  });

  test("a campaign without leads is not exported", async () => {
    const path = dir.join("empty", "spring.zip");
    const failure = await writeStudioPackage(new CampaignPackageStream(packageFileSink(path)), input({ leads: () => [] })).catch((error) => error);
    expect(failure).toMatchObject({ code: "studio.no_leads" });
    expect(existsSync(path)).toBe(false);
  });
});
