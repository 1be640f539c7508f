import { z } from "zod";

/**
 * Core (campaign studio) → edge: a campaign package, one `.zip` of manifest.json (this schema),
 * leads.csv or leads.sql (lead columns below) and audio/… (WAV as Asterisk plays it, optional .ulaw
 * siblings); README "The campaign package" describes it. Writer and edge check the same rules.
 */
export const campaignPackageFormat = "salescontrol.campaign-package";
export const campaignPackageFormatVersion = 1;

export const campaignPackagePaths = {
  manifest: "manifest.json",
  leadsCsv: "leads.csv",
  leadsSql: "leads.sql",
  audioDirectory: "audio/",
} as const;

export const campaignPackageLimits = {
  /** Files in the zip, directories included. */
  maxEntries: 200_000,
  maxManifestBytes: 64 * 1024 * 1024,
  maxLeadsFileBytes: 2 * 1024 * 1024 * 1024,
  /** An hour of 8 kHz 16-bit mono audio is 57.6 MB. */
  maxAudioFileBytes: 64 * 1024 * 1024,
  maxLeads: 5_000_000,
  maxColumns: 200,
  maxFieldLength: 2000,
  /** Entries that expand more than this many times are refused as zip bombs… */
  maxCompressionRatio: 100,
  /** …once they are larger than this (small text files legitimately compress well). */
  compressionRatioFloorBytes: 1024 * 1024,
} as const;

/** A campaign id: letters, digits, `.`, `_`, `-`; it names the campaign in URLs and logs. */
export const campaignIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Audio paths: `audio/` then up to five segments of letters, digits, `.`, `_`, `-`, ending in a
 * lowercase `.wav` (Asterisk matches the extension case-sensitively) or `.ulaw`. They become URL
 * paths and file names unchanged, so nothing needs escaping anywhere.
 */
export const audioPathPattern = /^audio\/(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}\/){0,4}[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}\.(?:wav|ulaw)$/;

const sha256Hex = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: "must be 64 lowercase hex digits (SHA-256)" });

export const campaignPackageFileEntry = z.object({
  path: z.string().min(1).max(1024),
  size: z.number().int().nonnegative(),
  sha256: sha256Hex,
});

export const campaignPackageManifest = z
  .object({
    format: z.literal(campaignPackageFormat, { message: `format must be "${campaignPackageFormat}"` }),
    format_version: z.number().int().refine((version) => version === campaignPackageFormatVersion, {
      message: `format_version must be ${campaignPackageFormatVersion}: this edge reads version ${campaignPackageFormatVersion} packages`,
    }),
    campaign: z.object({
      id: z.string().regex(campaignIdPattern, { message: "campaign id must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit" }),
      name: z.string().trim().min(1).max(200),
      description: z.string().max(2000).optional(),
    }),
    created_at: z.iso.datetime({ offset: true, message: "created_at must be an RFC 3339 timestamp such as 2026-01-15T09:00:00Z" }),
    generator: z.object({ name: z.string().min(1).max(100), version: z.string().min(1).max(64) }),
    lead_count: z.number().int().min(1, { message: "a package must hold at least one lead" }).max(campaignPackageLimits.maxLeads),
    /** Played when a lead has no audio for a slot, or its file is missing: never dead air. */
    default_audio: z.string().regex(audioPathPattern, { message: "default_audio must be an audio/….wav path" }).refine((path) => path.endsWith(".wav"), { message: "default_audio must be a .wav file" }).optional(),
    files: z.array(campaignPackageFileEntry).max(campaignPackageLimits.maxEntries),
  })
  .superRefine((manifest, context) => {
    const seen = new Set<string>();
    manifest.files.forEach((file, index) => {
      if (seen.has(file.path)) context.addIssue({ code: "custom", path: ["files", index, "path"], message: `${file.path} is listed twice` });
      seen.add(file.path);
      if (file.path === campaignPackagePaths.manifest) context.addIssue({ code: "custom", path: ["files", index, "path"], message: "the manifest does not list itself" });
    });
    const leadsFiles = [campaignPackagePaths.leadsCsv, campaignPackagePaths.leadsSql].filter((path) => seen.has(path));
    if (leadsFiles.length !== 1) {
      context.addIssue({ code: "custom", path: ["files"], message: leadsFiles.length === 0 ? "the package lists neither leads.csv nor leads.sql" : "the package lists both leads.csv and leads.sql; keep one" });
    }
    if (manifest.default_audio && !seen.has(manifest.default_audio)) {
      context.addIssue({ code: "custom", path: ["default_audio"], message: `default_audio ${manifest.default_audio} is not among the files` });
    }
  });

export type CampaignPackageManifest = z.output<typeof campaignPackageManifest>;

// ---------------------------------------------------------------------------------------------
// Lead columns

/** VICIdial's `vicidial_list` fields a package may carry, with the length VICIdial stores. */
export const vicidialLeadFields = {
  vendor_lead_code: 20,
  source_id: 50,
  list_id: 14,
  phone_code: 10,
  phone_number: 18,
  title: 4,
  first_name: 30,
  middle_initial: 1,
  last_name: 30,
  address1: 100,
  address2: 100,
  address3: 100,
  city: 50,
  state: 2,
  province: 50,
  postal_code: 10,
  country_code: 3,
  gender: 1,
  date_of_birth: 10,
  alt_phone: 12,
  email: 70,
  security_phrase: 100,
  comments: 255,
  rank: 6,
  owner: 20,
} as const;

export const requiredLeadColumns = ["lead_id", "phone_number"] as const;

/** Names the edge adds to every lookup answer; a column may not take them. */
export const reservedLeadColumns = ["audio_url", "campaign", "campaign_id", "campaign_name", "import_id", "found"] as const;

export const columnNamePattern = /^[a-z][a-z0-9_]{0,63}$/;

/** `audio` → slot "main"; `audio_<slot>` → that slot; any other column is a lead field. */
export function audioSlotOfColumn(column: string): string | null {
  if (column === "audio") return "main";
  const match = /^audio_([a-z0-9][a-z0-9_]{0,31})$/.exec(column);
  if (!match || (reservedLeadColumns as readonly string[]).includes(column)) return null;
  return match[1]!;
}

export type FieldCheck = { ok: true; value: string } | { ok: false; message: string };

/** VICIdial's lead_id is an INT UNSIGNED. */
export function checkLeadId(raw: string): FieldCheck {
  const value = raw.trim();
  if (!/^\d{1,10}$/.test(value)) return { ok: false, message: `lead_id must be a whole number from 1 to 4294967295, not ${JSON.stringify(raw.slice(0, 40))}` };
  const number = Number(value);
  if (number < 1 || number > 4294967295) return { ok: false, message: `lead_id ${value} is outside 1 to 4294967295` };
  return { ok: true, value: String(number) };
}

/** Digits only, as VICIdial stores them; `+`, spaces, dots, dashes and parentheses are dropped. */
export function phoneDigits(raw: string): string {
  return raw.replace(/[\s().+-]/g, "");
}

export function checkPhoneNumber(raw: string): FieldCheck {
  const digits = phoneDigits(raw.trim());
  if (!/^\d+$/.test(digits)) return { ok: false, message: `phone_number must hold digits (with optional + ( ) - . and spaces), not ${JSON.stringify(raw.slice(0, 40))}` };
  if (digits.length < 4 || digits.length > vicidialLeadFields.phone_number) {
    return { ok: false, message: `phone_number must have 4 to ${vicidialLeadFields.phone_number} digits; ${JSON.stringify(raw.slice(0, 40))} has ${digits.length}` };
  }
  return { ok: true, value: digits };
}

/** Checks an optional lead field; lookup keys must fit VICIdial's column or the dialer never finds them. */
export function checkLeadField(column: string, raw: string): FieldCheck {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(raw)) return { ok: false, message: `${column} contains control characters` };
  if (raw.length > campaignPackageLimits.maxFieldLength) return { ok: false, message: `${column} is ${raw.length} characters long; at most ${campaignPackageLimits.maxFieldLength}` };
  const value = raw.trim();
  if (column === "vendor_lead_code") {
    if (value.length > vicidialLeadFields.vendor_lead_code) return { ok: false, message: `vendor_lead_code ${JSON.stringify(value)} is longer than VICIdial's ${vicidialLeadFields.vendor_lead_code} characters` };
    if (/[\r\n\t]/.test(value)) return { ok: false, message: "vendor_lead_code may not contain line breaks or tabs" };
  }
  if ((column === "list_id" || column === "phone_code") && value !== "" && !/^\d+$/.test(value)) return { ok: false, message: `${column} must be digits, not ${JSON.stringify(value.slice(0, 40))}` };
  if ((column === "list_id" || column === "phone_code") && value.length > vicidialLeadFields[column]) return { ok: false, message: `${column} is longer than VICIdial's ${vicidialLeadFields[column]} digits` };
  return { ok: true, value };
}

/**
 * An audio cell names a file under audio/: `audio/greeting/1001.wav`, `greeting/1001.wav`, or
 * without the extension as Asterisk prompts are written (`greeting/1001`). Empty means "no audio
 * for this slot" (the default prompt plays).
 */
export function normalizeAudioReference(raw: string): FieldCheck {
  let value = raw.trim();
  if (value === "") return { ok: true, value: "" };
  if (!value.startsWith(campaignPackagePaths.audioDirectory)) value = `${campaignPackagePaths.audioDirectory}${value}`;
  if (!/\.(wav|ulaw)$/.test(value)) value = `${value}.wav`;
  if (!audioPathPattern.test(value)) return { ok: false, message: `${JSON.stringify(raw.slice(0, 80))} is not an audio file path (audio/<name>.wav, letters, digits, '.', '_', '-')` };
  if (!value.endsWith(".wav")) return { ok: false, message: `${JSON.stringify(raw.slice(0, 80))} names a .ulaw file; name the .wav (its .ulaw sibling is used automatically)` };
  return { ok: true, value };
}

/** Where an audio file lives relative to the campaign's audio directory (`audio/a/b.wav` → `a/b.wav`). */
export function audioRelativePath(packagePath: string): string {
  return packagePath.slice(campaignPackagePaths.audioDirectory.length);
}

/** The `.ulaw` sibling of a `.wav`, the same recording for Asterisk's native µ-law (`audio/a.wav` → `audio/a.ulaw`). */
export function ulawSiblingPath(wavPath: string): string {
  return wavPath.replace(/\.wav$/, ".ulaw");
}

/** The `.wav` a `.ulaw` file is the sibling of. */
export function wavSiblingPath(ulawPath: string): string {
  return ulawPath.replace(/\.ulaw$/, ".wav");
}
