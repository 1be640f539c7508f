import { createHash, type Hash } from "node:crypto";
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import {
  type CampaignPackageManifest,
  campaignPackageFormat,
  campaignPackageFormatVersion,
  campaignPackagePaths,
} from "../contracts/campaign-package.ts";

/**
 * Writes a campaign package (`shared/contracts/campaign-package.ts`) as a stream (fflate): entries
 * leave through `emit` as they are added and the manifest, with every file's size and SHA-256, is
 * written last. Memory holds one pushed piece at a time; `CampaignPackageStream` adds backpressure.
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

export interface PackageEntryWriter {
  push(chunk: Uint8Array | string): void;
  end(): void;
}

/** fflate writes classic (non-zip64) archives: 65,535 entries and 4 GiB at most. */
export const maxPackageWriterEntries = 65_535;

export class PackageWriterError extends Error {
  constructor(
    readonly code: "package.too_many_files" | "package.zip_failed" | "package.unfinished",
    message: string,
  ) {
    super(message);
    this.name = "PackageWriterError";
  }
}

export class CampaignPackageWriter {
  readonly #zip: Zip;
  readonly #files: Array<{ path: string; size: number; sha256: string }> = [];
  #entries = 0;
  #bytes = 0;
  #error: Error | null = null;
  #ended = false;

  /** `emit` receives the archive's bytes in order, synchronously, as each call produces them. */
  constructor(emit: (chunk: Uint8Array) => void) {
    this.#zip = new Zip((error, chunk, final) => {
      if (error) {
        this.#error = error;
        return;
      }
      emit(chunk);
      this.#bytes += chunk.length;
      if (final) this.#ended = true;
    });
  }

  /** Adds a whole file. */
  addFile(path: string, data: Uint8Array | string, options: AddFileOptions = {}): void {
    const entry = this.openFile(path, options);
    entry.push(data);
    entry.end();
  }

  /** Adds a file pushed in pieces (a leads file of any size). */
  openFile(path: string, options: AddFileOptions = {}): PackageEntryWriter {
    if (++this.#entries > maxPackageWriterEntries) throw new PackageWriterError("package.too_many_files", `a package holds at most ${maxPackageWriterEntries} files`);
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
    if (!this.#ended) throw new PackageWriterError("package.unfinished", "the zip did not finish");
    return { bytes: this.#bytes, manifest };
  }

  #throwIfFailed(): void {
    if (this.#error) throw new PackageWriterError("package.zip_failed", `the zip could not be written: ${this.#error.message}`);
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
