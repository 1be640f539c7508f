import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { strFromU8, unzipSync } from "fflate";
import { asteriskWavProblem, inspectWavHeader } from "../../shared/audio/wav-format.ts";
import { campaignPackageManifest } from "../../shared/contracts/campaign-package.ts";
import { runCommand } from "../../shared/runtime/process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { defaultSpeechCache, generateCampaignPackage } from "./generate-campaign-package.ts";


let dir: TempDir;
beforeAll(() => {
  dir = makeTempDir();
});
afterAll(() => dir.remove());

describe("generate-campaign-package", () => {
  test("a CSV package: a valid manifest listing every file with its size and SHA-256, and speech Asterisk plays", async () => {
    const generated = await generateCampaignPackage({ outPath: dir.join("csv.zip"), leads: 57, audioFiles: 7, ulaw: true, defaultAudio: true, campaignId: "GEN", speechCacheDirectory: defaultSpeechCache });
    const files = unzipSync(new Uint8Array(readFileSync(generated.path)));
    const manifest = campaignPackageManifest.parse(JSON.parse(strFromU8(files["manifest.json"]!)));
    expect(manifest).toMatchObject({ campaign: { id: "GEN" }, lead_count: 57, default_audio: "audio/default.wav" });
    expect(Object.keys(files).filter((name) => name !== "manifest.json").sort()).toEqual(manifest.files.map((file) => file.path).sort());
    for (const listed of manifest.files) {
      expect(files[listed.path]!.length).toBe(listed.size);
      expect(createHash("sha256").update(files[listed.path]!).digest("hex")).toBe(listed.sha256);
    }
    const wavs = Object.keys(files).filter((name) => name.endsWith(".wav"));
    expect(wavs.length).toBe(8);
    for (const name of wavs) {
      const inspected = inspectWavHeader(files[name]!, files[name]!.length);
      if (inspected.status !== "ok") throw new Error(`${name}: ${JSON.stringify(inspected)}`);
      expect(asteriskWavProblem(inspected.format)).toBeNull();
      expect(inspected.format.durationMs).toBeGreaterThan(1000);
      expect(files[name.replace(/\.wav$/, ".ulaw")]!.length).toBe(inspected.format.dataBytes / 2);
    }
    // ffprobe hears the same thing.
    writeFileSync(dir.join("greeting.wav"), files["audio/greeting/greeting-1.wav"]!);
    const probe = await runCommand("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0", dir.join("greeting.wav")]);
    expect(probe.stdout.trim()).toBe("pcm_s16le,8000,1");
    const lines = strFromU8(files["leads.csv"]!).trim().split("\r\n");
    expect(lines.length).toBe(58);
    expect(lines[0]).toBe("lead_id,vendor_lead_code,phone_code,phone_number,first_name,last_name,address1,city,state,postal_code,email,comments,audio_greeting,audio_offer");
    // Each greeting names the lead's first name: personalised audio, not one file for all.
    expect(new Set(wavs.filter((name) => name.includes("greeting")).map((name) => createHash("sha256").update(files[name]!).digest("hex"))).size).toBe(4);
  });

  test("a SQL package holds plain INSERT statements with the same columns", async () => {
    const generated = await generateCampaignPackage({ outPath: dir.join("sql.zip"), leads: 1203, audioFiles: 2, format: "sql", speechCacheDirectory: defaultSpeechCache });
    const sql = strFromU8(unzipSync(new Uint8Array(readFileSync(generated.path)))["leads.sql"]!);
    expect(sql.match(/^INSERT INTO vicidial_list \(lead_id, vendor_lead_code, /gm)?.length).toBe(3);
    expect(sql).toContain("'Asked for a call back \"after 5pm\", prefers email'");
    expect(generated.leadIds.length).toBe(1203);
  });

  test("refuses sizes that make no package", async () => {
    await expect(generateCampaignPackage({ outPath: dir.join("none.zip"), leads: 0, audioFiles: 1 })).rejects.toThrow("at least one lead");
    await expect(generateCampaignPackage({ outPath: dir.join("none.zip"), leads: 1, audioFiles: 0 })).rejects.toThrow("at least one audio file");
  });
});
