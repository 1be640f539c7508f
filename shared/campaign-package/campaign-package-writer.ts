import { createHash, type Hash } from "node:crypto";
import {
  type CampaignPackageManifest,
  campaignPackageFormat,
  campaignPackageFormatVersion,
  campaignPackageLimits,
  campaignPackagePaths,
} from "../contracts/campaign-package.ts";
import { SpillFile } from "./spill-file.ts";
import { ZipStream, ZipStreamError } from "./zip-stream.ts";

/**
 * Writes a campaign package (`shared/contracts/campaign-package.ts`) as a stream (zip-stream.ts):
 * entries leave through `emit` as they are added and the manifest, with every file's size and
 * SHA-256, is written last. Memory holds one pushed piece at a time: the record kept per file (its
 * manifest line, its central-directory record) goes to spill files, so a package of 100,000 files
 * costs what one of 1,000 does. Past 65,535 entries or 4 GiB the zip turns zip64 by itself;
 * `CampaignPackageStream` adds backpressure.
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

/** The package contract's entry limit (what an edge accepts), one of them the manifest. */
export const maxPackageWriterEntries = campaignPackageLimits.maxEntries - 1;

export interface PackageWriterOptions {
  /** Zip64 records for every entry, however small the package (tests of zip64 readers). */
  forceZip64?: boolean;
  /** Where the manifest's file list and the central directory spill (the system's temp directory by default). */
  spillDirectory?: string;
}

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
  readonly #zip: ZipStream;
  /** The manifest's file list, each file one JSON object on its own line, as UTF-8. */
  readonly #fileList: SpillFile;
  #entries = 0;

  /** `emit` receives the archive's bytes in order, synchronously, as each call produces them. */
  constructor(emit: (chunk: Uint8Array) => void, options: PackageWriterOptions = {}) {
    this.#zip = new ZipStream(emit, { forceZip64: options.forceZip64, spillDirectory: options.spillDirectory });
    this.#fileList = new SpillFile({ directory: options.spillDirectory });
  }

  /** Adds a whole file. */
  addFile(path: string, data: Uint8Array | string, options: AddFileOptions = {}): void {
    const entry = this.openFile(path, options);
    entry.push(data);
    entry.end();
  }

  /** Adds a file pushed in pieces (a leads file of any size); files are written one after another. */
  openFile(path: string, options: AddFileOptions = {}): PackageEntryWriter {
    if (++this.#entries > maxPackageWriterEntries) {
      throw new PackageWriterError("package.too_many_files", `a package holds at most ${maxPackageWriterEntries} files besides its manifest (an edge accepts ${campaignPackageLimits.maxEntries} entries)`);
    }
    const entry = zipStep(() => this.#zip.openEntry(path, { deflate: options.compress === true }));
    const hash: Hash = createHash("sha256");
    let size = 0;
    return {
      push: (chunk) => {
        const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
        hash.update(bytes);
        size += bytes.length;
        zipStep(() => entry.push(bytes));
      },
      end: () => {
        zipStep(() => entry.end());
        if (options.unlisted) return;
        const separator = this.#fileList.length === 0 ? "" : ",\n";
        this.#fileList.append(new TextEncoder().encode(`${separator}    ${JSON.stringify({ path, size, sha256: hash.digest("hex") })}`));
      },
    };
  }

  /**
   * Writes manifest.json and closes the archive at once. `alter` (tests) receives the whole
   * manifest and writes what it returns instead.
   */
  finish(fields: ManifestFields, alter?: (manifest: CampaignPackageManifest) => unknown): { bytes: number } {
    const steps = this.finishing(fields, alter);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * Writes manifest.json and closes the archive, pausing after each piece: the file list goes out
   * from its spill file a piece at a time, so a package of tens of thousands of files never holds
   * its manifest, as objects or as one string.
   */
  *finishing(fields: ManifestFields, alter?: (manifest: CampaignPackageManifest) => unknown): Generator<void, { bytes: number }> {
    const head: Omit<CampaignPackageManifest, "files"> = {
      format: campaignPackageFormat,
      format_version: campaignPackageFormatVersion,
      campaign: fields.campaign,
      created_at: fields.createdAt ?? new Date().toISOString(),
      generator: fields.generator ?? { name: "salescontrol-package-generator", version: "1" },
      lead_count: fields.leadCount,
      ...(fields.defaultAudio ? { default_audio: fields.defaultAudio } : {}),
    };
    const fileList = this.#fileList;
    try {
      const manifestEntry = this.#zip.openEntry(campaignPackagePaths.manifest, { deflate: true });
      if (alter) {
        const decoder = new TextDecoder();
        const text = [...fileList.pieces()].map((piece) => decoder.decode(piece, { stream: true })).join("") + decoder.decode();
        const files = JSON.parse(`[${text}]`) as CampaignPackageManifest["files"];
        manifestEntry.push(new TextEncoder().encode(`${JSON.stringify(alter({ ...head, files }), null, 2)}\n`));
      } else {
        const opening = JSON.stringify(head, null, 2).replace(/\n}$/, `,\n  "files": [${fileList.length === 0 ? "" : "\n"}`);
        manifestEntry.push(new TextEncoder().encode(opening));
        for (const piece of fileList.pieces()) {
          manifestEntry.push(piece);
          yield;
        }
        manifestEntry.push(new TextEncoder().encode(`${fileList.length === 0 ? "" : "\n  "}]\n}\n`));
      }
      fileList.close();
      manifestEntry.end();
      yield;
      yield* this.#zip.finishing();
    } catch (error) {
      this.discard();
      throw packageErrorOf(error);
    }
    return { bytes: this.#zip.bytes };
  }

  /** Gives the package up: its spill files are freed and nothing more is written. */
  discard(): void {
    this.#fileList.close();
    this.#zip.discard();
  }
}

/** A zip writer's refusal as the package writer's own error. */
function zipStep<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw packageErrorOf(error);
  }
}

function packageErrorOf(error: unknown): unknown {
  if (!(error instanceof ZipStreamError)) return error;
  return new PackageWriterError(error.code === "zip.entry_open" ? "package.unfinished" : "package.zip_failed", error.message);
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
