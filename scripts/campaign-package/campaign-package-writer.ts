import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import {
  type CampaignPackageManifest,
  campaignPackageFormat,
  campaignPackageFormatVersion,
  campaignPackagePaths,
} from "../../shared/contracts/campaign-package.ts";
import { writeAllSync } from "../../shared/runtime/files.ts";

/**
 * Writes a campaign package as a stream (fflate): entries go to disk as they are added and the
 * manifest, with every file's size and SHA-256, is written last. Memory holds one entry at a time.
 */
export interface ManifestFields {
  campaign: { id: string; name: string; description?: string };
  leadCount: number;
  createdAt?: string;
  generator?: { name: string; version: string };
  defaultAudio?: string;
}

export interface AddFileOptions {
  /** Deflate the entry (text); audio is stored as is, the way packaging tools usually do. */
  compress?: boolean;
  /** Leave the file out of the manifest (to build broken packages in tests). */
  unlisted?: boolean;
}

/** fflate writes classic (non-zip64) archives: 65,535 entries and 4 GiB at most. */
const maxEntries = 65_535;

export class CampaignPackageWriter {
  readonly #fd: number;
  readonly #zip: Zip;
  readonly #files: Array<{ path: string; size: number; sha256: string }> = [];
  #entries = 0;
  #bytes = 0;
  #error: Error | null = null;
  #ended = false;

  constructor(readonly outPath: string) {
    this.#fd = openSync(outPath, "w", 0o644);
    this.#zip = new Zip((error, chunk, final) => {
      if (error) {
        this.#error = error;
        return;
      }
      writeAllSync(this.#fd, chunk);
      this.#bytes += chunk.length;
      if (final) this.#ended = true;
    });
  }

  /** Adds a whole file. */
  addFile(path: string, data: Uint8Array | string, options: AddFileOptions = {}): void {
    const stream = this.openFile(path, options);
    stream.push(typeof data === "string" ? new TextEncoder().encode(data) : data);
    stream.end();
  }

  /** Adds a file pushed in pieces (a leads file of any size). */
  openFile(path: string, options: AddFileOptions = {}): { push(chunk: Uint8Array | string): void; end(): void } {
    if (++this.#entries > maxEntries) throw new Error(`a package written with fflate holds at most ${maxEntries} files`);
    const entry = options.compress ? new ZipDeflate(path, { level: 6 }) : new ZipPassThrough(path);
    this.#zip.add(entry);
    const hash: Hash = createHash("sha256");
    let size = 0;
    return {
      push: (chunk) => {
        const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
        hash.update(bytes);
        size += bytes.length;
        entry.push(bytes, false);
        this.#throwIfFailed();
      },
      end: () => {
        entry.push(new Uint8Array(0), true);
        this.#throwIfFailed();
        if (!options.unlisted) this.#files.push({ path, size, sha256: hash.digest("hex") });
      },
    };
  }

  /** Writes manifest.json (optionally altered, for tests) and closes the archive. */
  finish(fields: ManifestFields, alter?: (manifest: CampaignPackageManifest) => unknown): { bytes: number; manifest: CampaignPackageManifest } {
    const manifest: CampaignPackageManifest = {
      format: campaignPackageFormat,
      format_version: campaignPackageFormatVersion,
      campaign: fields.campaign,
      created_at: fields.createdAt ?? new Date().toISOString(),
      generator: fields.generator ?? { name: "salescontrol-package-generator", version: "1" },
      lead_count: fields.leadCount,
      ...(fields.defaultAudio ? { default_audio: fields.defaultAudio } : {}),
      files: this.#files,
    };
    const written = alter ? alter(structuredClone(manifest)) : manifest;
    const manifestEntry = new ZipDeflate(campaignPackagePaths.manifest, { level: 6 });
    this.#zip.add(manifestEntry);
    manifestEntry.push(new TextEncoder().encode(`${JSON.stringify(written, null, 2)}\n`), true);
    this.#zip.end();
    this.#throwIfFailed();
    if (!this.#ended) throw new Error("the zip did not finish");
    closeSync(this.#fd);
    return { bytes: this.#bytes, manifest };
  }

  #throwIfFailed(): void {
    if (this.#error) throw this.#error;
  }
}

/** One CSV field, quoted when it must be (RFC 4180). */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: ReadonlyArray<string | number>): string {
  return `${values.map(csvField).join(",")}\r\n`;
}

/** A standard SQL string literal (quotes doubled). */
export function sqlLiteral(value: string | number): string {
  return typeof value === "number" ? String(value) : `'${value.replace(/'/g, "''")}'`;
}
