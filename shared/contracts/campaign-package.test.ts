import { describe, expect, test } from "bun:test";
import {
  audioSlotOfColumn,
  campaignPackageManifest,
  checkLeadField,
  checkLeadId,
  checkPhoneNumber,
  normalizeAudioReference,
} from "./campaign-package.ts";

const manifest = {
  format: "salescontrol.campaign-package",
  format_version: 1,
  campaign: { id: "SPRING-24", name: "Spring upgrade" },
  created_at: "2026-01-15T09:00:00Z",
  generator: { name: "salescontrol-core", version: "0.1.0" },
  lead_count: 2,
  files: [
    { path: "leads.csv", size: 120, sha256: "a".repeat(64) },
    { path: "audio/greeting/1.wav", size: 16044, sha256: "b".repeat(64) },
  ],
};

function issues(value: unknown): string[] {
  const result = campaignPackageManifest.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("campaign package manifest", () => {
  test("a complete manifest is accepted as written", () => {
    expect(campaignPackageManifest.parse(manifest) as unknown).toEqual(manifest);
    expect(issues({ ...manifest, default_audio: "audio/greeting/1.wav" })).toEqual([]);
  });

  test.each([
    ["another format version", { format_version: 2 }, "format_version: format_version must be 1"],
    ["a foreign format", { format: "zip" }, 'format: format must be "salescontrol.campaign-package"'],
    ["an unsafe campaign id", { campaign: { id: "../x", name: "n" } }, "campaign.id: campaign id must be"],
    ["a date that is not RFC 3339", { created_at: "yesterday" }, "created_at: created_at must be an RFC 3339 timestamp"],
    ["no leads", { lead_count: 0 }, "lead_count: a package must hold at least one lead"],
    ["a bad checksum", { files: [{ path: "leads.csv", size: 1, sha256: "XYZ" }] }, "files.0.sha256: must be 64 lowercase hex digits"],
    ["a file listed twice", { files: [manifest.files[0], manifest.files[0]] }, "files.1.path: leads.csv is listed twice"],
    ["no leads file", { files: [manifest.files[1]] }, "files: the package lists neither leads.csv nor leads.sql"],
    ["two leads files", { files: [...manifest.files, { path: "leads.sql", size: 1, sha256: "c".repeat(64) }] }, "files: the package lists both leads.csv and leads.sql"],
    ["a default prompt that is not in the package", { default_audio: "audio/nope.wav" }, "default_audio: default_audio audio/nope.wav is not among the files"],
    ["a default prompt that is not a WAV path", { default_audio: "../x.wav" }, "default_audio: default_audio must be an audio/….wav path"],
  ])("refuses %s", (_name, change, message) => {
    expect(issues({ ...manifest, ...change }).join("\n")).toContain(message);
  });
});

describe("lead fields", () => {
  test("lead_id is VICIdial's INT UNSIGNED", () => {
    expect(checkLeadId(" 0042 ")).toEqual({ ok: true, value: "42" });
    expect(checkLeadId("4294967295")).toEqual({ ok: true, value: "4294967295" });
    expect(checkLeadId("4294967296")).toMatchObject({ ok: false, message: expect.stringContaining("outside") });
    expect(checkLeadId("0")).toMatchObject({ ok: false });
    expect(checkLeadId("12a")).toMatchObject({ ok: false, message: expect.stringContaining('not "12a"') });
  });

  test("phone numbers keep their digits and must fit VICIdial's 18", () => {
    expect(checkPhoneNumber("+1 (512) 555-0100")).toEqual({ ok: true, value: "15125550100" });
    expect(checkPhoneNumber("555.0100")).toEqual({ ok: true, value: "5550100" });
    expect(checkPhoneNumber("call me")).toMatchObject({ ok: false, message: expect.stringContaining("digits") });
    expect(checkPhoneNumber("1234567890123456789")).toMatchObject({ ok: false, message: expect.stringContaining("4 to 18 digits") });
  });

  test("lookup keys must fit VICIdial's columns; control characters are refused everywhere", () => {
    expect(checkLeadField("vendor_lead_code", "A".repeat(21))).toMatchObject({ ok: false, message: expect.stringContaining("20 characters") });
    expect(checkLeadField("first_name", "Ana\u0000")).toMatchObject({ ok: false, message: "first_name contains control characters" });
    expect(checkLeadField("comments", "two\nlines")).toEqual({ ok: true, value: "two\nlines" });
    expect(checkLeadField("list_id", "12x")).toMatchObject({ ok: false });
  });

  test("audio columns and references", () => {
    expect(audioSlotOfColumn("audio")).toBe("main");
    expect(audioSlotOfColumn("audio_greeting")).toBe("greeting");
    expect(audioSlotOfColumn("audio_url")).toBeNull();
    expect(audioSlotOfColumn("first_name")).toBeNull();
    expect(normalizeAudioReference("greeting/1001")).toEqual({ ok: true, value: "audio/greeting/1001.wav" });
    expect(normalizeAudioReference("audio/greeting/1001.wav")).toEqual({ ok: true, value: "audio/greeting/1001.wav" });
    expect(normalizeAudioReference("  ")).toEqual({ ok: true, value: "" });
    expect(normalizeAudioReference("../../etc/passwd")).toMatchObject({ ok: false });
    expect(normalizeAudioReference("greeting/1001.ulaw")).toMatchObject({ ok: false, message: expect.stringContaining("name the .wav") });
    expect(normalizeAudioReference("greeting/My File.wav")).toMatchObject({ ok: false });
  });
});
