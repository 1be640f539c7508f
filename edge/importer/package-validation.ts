import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { mkdir, statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import { asteriskWavProblem, inspectWavHeader, maxWavHeaderBytes, sniffAudioContainer, type WavFormat } from "../../shared/audio/wav-format.ts";
import {
  audioPathPattern,
  audioRelativePath,
  type CampaignPackageManifest,
  campaignPackageLimits,
  campaignPackageManifest,
  campaignPackagePaths,
  wavSiblingPath,
} from "../../shared/contracts/campaign-package.ts";
import { eventLoopTurns } from "../../shared/runtime/event-loop-turns.ts";
import { writeAllSync } from "../../shared/runtime/files.ts";
import type { StagingDeps } from "./campaign-import.usecases.ts";
import { CsvReader, CsvSyntaxError } from "../../shared/csv/csv-reader.ts";
import type { ImportRun } from "./import-lock.ts";
import { type ImportProblem, reject } from "./import-problem.ts";
import type { StagedAudioFile } from "./import.repository.ts";
import { type LeadColumnPlan, LeadUniqueness, type ParsedLead, parseLeadRow, planLeadColumns } from "../../shared/campaign-package/lead-rows.ts";
import { SqlInsertReader, SqlSyntaxError } from "./sql-insert-reader.ts";
import { firstInvalidUtf8Byte, LineTracker } from "./utf8-position.ts";
import type { ZipArchive, ZipEntry } from "./zip-archive.ts";

/** Leads staged per write: one write holds the database's write lock, so it is kept to a few milliseconds. */
const leadBatchSize = 250;
/** Characters of leads text parsed between two chances for the dialer's requests to be answered. */
const leadTextSlice = 8192;
const audioBatchSize = 500;
/** Room kept free on the audio disk beyond what a package needs. */
const diskHeadroomBytes = 64 * 1024 * 1024;

/** The import stops: the edge is shutting down or another process took the lock over. */
export class ImportAbortedError extends Error {}

class StopEntry extends Error {}

/** Reads one package: manifest, then leads, then audio, checking everything and staging while clean. */
export class PackageStaging {
  readonly writtenFiles: string[] = [];
  #manifest!: CampaignPackageManifest;
  #listed = new Map<string, { size: number; sha256: string }>();
  #wavFiles = new Set<string>();
  #audioEntries: ZipEntry[] = [];
  #referenced = new Set<string>();
  #wavFormats = new Map<string, WavFormat>();
  #madeDirectories = new Set<string>();

  constructor(
    private readonly deps: StagingDeps,
    private readonly run: ImportRun,
    private readonly archive: ZipArchive,
    private readonly importDirectory: string,
    private readonly signal?: AbortSignal,
    /** Leads once they are staged, in package order: the serving thread builds its snapshot from them. */
    private readonly onLeadsStaged?: (leads: readonly ParsedLead[]) => void,
  ) {}

  get #report() {
    return this.run.report;
  }

  async validateAndStage(): Promise<void> {
    const leadsEntry = this.#classifyEntries();
    if (!(await this.#readManifest())) return;
    this.#compareWithManifest();
    if (leadsEntry) await this.#readLeads(leadsEntry);
    await this.#checkDiskSpace();
    await this.#readAudio();
    await this.#finalChecks();
    const report = this.#report.report;
    await this.deps.imports.recordPackageDetails(this.run.id, { leadCount: report.leads.valid, audioCount: report.audio.files, audioBytes: report.audio.bytes });
  }

  #classifyEntries(): ZipEntry | null {
    let leadsEntry: ZipEntry | null = null;
    for (const entry of this.archive.entries) {
      const name = entry.name;
      if (entry.isDirectory) {
        if (name === campaignPackagePaths.audioDirectory || name.startsWith(campaignPackagePaths.audioDirectory)) continue;
        this.#report.problem({ code: "package.unexpected_file", message: `${name}: unexpected directory; a package holds manifest.json, leads.csv or leads.sql, and audio/…${macosHint(name)}`, file: name });
        continue;
      }
      if (name === campaignPackagePaths.manifest) continue;
      if (name === campaignPackagePaths.leadsCsv || name === campaignPackagePaths.leadsSql) {
        if (leadsEntry) this.#report.problem({ code: "package.two_leads_files", message: "the package holds both leads.csv and leads.sql; keep one", file: name });
        leadsEntry = entry;
        continue;
      }
      if (name.startsWith(campaignPackagePaths.audioDirectory)) {
        if (!audioPathPattern.test(name)) {
          this.#report.problem({
            code: "package.bad_audio_path",
            message: `${name}: audio files are .wav (RIFF PCM, 8 kHz, mono, 16-bit) or .ulaw, named with letters, digits, '.', '_' and '-' only`,
            file: name,
          });
          continue;
        }
        this.#audioEntries.push(entry);
        if (name.endsWith(".wav")) this.#wavFiles.add(name);
        continue;
      }
      this.#report.problem({ code: "package.unexpected_file", message: `${name}: unexpected file; a package holds manifest.json, leads.csv or leads.sql, and audio/…${macosHint(name)}`, file: name });
    }
    if (!this.archive.byName.has(campaignPackagePaths.manifest)) {
      reject("package.no_manifest", "the package has no manifest.json at its top level (was the folder zipped instead of its contents?)", { file: campaignPackagePaths.manifest });
    }
    if (!leadsEntry) this.#report.problem({ code: "package.no_leads", message: "the package holds neither leads.csv nor leads.sql" });
    this.#report.report.package.leads_file = leadsEntry?.name ?? null;
    return leadsEntry;
  }

  /** False when the manifest is unusable (its problems are recorded): nothing else can be checked. */
  async #readManifest(): Promise<boolean> {
    await this.run.update({ phase: "manifest" }, true);
    const entry = this.archive.byName.get(campaignPackagePaths.manifest)!;
    const file = campaignPackagePaths.manifest;
    if (entry.uncompressedSize > campaignPackageLimits.maxManifestBytes) {
      reject("manifest.too_large", `manifest.json is ${entry.uncompressedSize} bytes; at most ${campaignPackageLimits.maxManifestBytes}`, { file });
    }
    const chunks: Uint8Array[] = [];
    await this.archive.readEntry(entry, (chunk) => void chunks.push(chunk));
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      reject("manifest.invalid", "manifest.json is not UTF-8 text", { file });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      reject("manifest.invalid", `manifest.json is not valid JSON: ${(error as Error).message}`, { file });
    }
    const parsed = campaignPackageManifest.safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 20)) {
        const at = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
        this.#report.problem({ code: "manifest.invalid", message: `manifest.json, ${at}: ${issue.message}`, file, column: at });
      }
      return false;
    }
    this.#manifest = parsed.data;
    const report = this.#report.report;
    report.campaign = { id: parsed.data.campaign.id, name: parsed.data.campaign.name };
    report.package.format_version = parsed.data.format_version;
    report.package.created_at = parsed.data.created_at;
    report.package.generator = `${parsed.data.generator.name} ${parsed.data.generator.version}`;
    report.leads.declared = parsed.data.lead_count;
    for (const listed of parsed.data.files) this.#listed.set(listed.path, { size: listed.size, sha256: listed.sha256 });
    await this.deps.imports.recordPackageDetails(this.run.id, {
      campaignId: parsed.data.campaign.id,
      campaignName: parsed.data.campaign.name,
      defaultAudio: parsed.data.default_audio ?? null,
    });
    return true;
  }

  #compareWithManifest(): void {
    for (const [path, listed] of this.#listed) {
      const entry = this.archive.byName.get(path);
      if (!entry || entry.isDirectory) {
        this.#report.problem({ code: "package.missing_file", message: `${path} is listed in manifest.json but is not in the zip`, file: path });
      } else if (entry.uncompressedSize !== listed.size) {
        this.#report.problem({ code: "package.size_mismatch", message: `${path} is ${entry.uncompressedSize} bytes; manifest.json says ${listed.size}`, file: path });
      }
    }
    for (const entry of this.archive.entries) {
      if (entry.isDirectory || entry.name === campaignPackagePaths.manifest || this.#listed.has(entry.name)) continue;
      this.#report.problem({ code: "package.unlisted_file", message: `${entry.name} is in the zip but not listed in manifest.json (its checksum cannot be verified)`, file: entry.name });
    }
    this.run.progress.leads_expected = this.#manifest.lead_count;
    this.run.progress.audio_expected = this.#audioEntries.length;
    this.run.progress.audio_bytes_expected = this.#audioEntries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  }

  async #readLeads(entry: ZipEntry): Promise<void> {
    await this.run.update({ phase: "leads" }, true);
    const file = entry.name;
    if (entry.uncompressedSize > campaignPackageLimits.maxLeadsFileBytes) {
      this.#report.problem({ code: "leads.too_large", message: `${file} is ${entry.uncompressedSize} bytes; at most ${campaignPackageLimits.maxLeadsFileBytes}`, file });
      return;
    }
    const report = this.#report.report;
    const uniqueness = new LeadUniqueness();
    const phoneCounts = new Map<string, number>();
    let batch: ParsedLead[] = [];
    let plan: LeadColumnPlan | null = null;
    let planKey = "";
    let rowNumber = 0;
    let stopped = false;

    const planColumns = (columns: readonly string[], line: number) => {
      if (stopped) return;
      const key = columns.join(",");
      if (plan) {
        if (key === planKey) return;
        this.#report.problem({ code: "leads.inconsistent_columns", message: `${file} line ${line}: this INSERT lists columns (${key.slice(0, 200)}) different from the first one`, file, line });
        stopped = true;
        return;
      }
      const planned = planLeadColumns(file, columns);
      if ("problems" in planned) {
        for (const problem of planned.problems) this.#report.problem(problem);
        stopped = true;
        return;
      }
      plan = planned.plan;
      planKey = key;
      report.leads.columns = [...plan.columns];
      report.leads.audio_slots = [...new Set(plan.audioSlots.values())];
    };

    const acceptRow = (values: string[], line: number) => {
      if (stopped || !plan) return;
      rowNumber++;
      report.leads.rows = rowNumber;
      if (rowNumber > campaignPackageLimits.maxLeads) {
        this.#report.problem({ code: "leads.too_many", message: `${file} holds more than ${campaignPackageLimits.maxLeads} leads`, file });
        stopped = true;
        return;
      }
      const parsed = parseLeadRow(plan, values, { rowNumber, line, wavFiles: this.#wavFiles });
      if ("problems" in parsed) {
        for (const problem of parsed.problems) this.#report.problem(problem);
        return;
      }
      const lead = parsed.lead;
      const repeated = uniqueness.check(file, lead, line);
      if (repeated) {
        this.#report.problem(repeated);
        return;
      }
      phoneCounts.set(lead.phoneNumber, (phoneCounts.get(lead.phoneNumber) ?? 0) + 1);
      let missingAudio = false;
      for (const path of Object.values(lead.audio)) {
        if (path === "") missingAudio = true;
        else this.#referenced.add(path);
      }
      if (missingAudio) report.leads.without_audio++;
      report.leads.valid++;
      if (this.#report.clean) batch.push(lead);
    };

    let sawHeader = false;
    const reader =
      file === campaignPackagePaths.leadsCsv
        ? new CsvReader((record) => {
            if (sawHeader) acceptRow(record.fields, record.line);
            else {
              sawHeader = true;
              planColumns(record.fields, record.line);
            }
          }, campaignPackageLimits.maxFieldLength * 4)
        : new SqlInsertReader((row) => {
            sawHeader = true;
            planColumns(row.columns, row.line);
            acceptRow(row.values, row.line);
          });

    const decoder = new TextDecoder("utf-8", { fatal: true });
    const hash = createHash("sha256");
    const turns = eventLoopTurns();
    const lines = new LineTracker();
    let bytesRead = 0;
    try {
      await this.archive.readEntry(entry, async (chunk) => {
        this.#checkAbort();
        hash.update(chunk);
        bytesRead += chunk.length;
        let text: string;
        try {
          text = decoder.decode(chunk, { stream: true });
        } catch {
          throw new LeadsFileError(notUtf8Problem(file, chunk, lines, bytesRead === chunk.length));
        }
        lines.advance(chunk);
        // Staged on the serving thread (an in-memory database cannot be shared), this work runs in slices.
        for (let start = 0; start < text.length && !stopped; ) {
          let end = Math.min(text.length, start + leadTextSlice);
          if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end++;
          reader.push(text.slice(start, end));
          start = end;
          if (batch.length >= leadBatchSize) {
            const staged = batch;
            batch = [];
            if (this.#report.clean) await this.#stageLeads(staged);
          }
          await turns.pause();
        }
        await this.run.update({ leads_read: rowNumber });
      });
      let tail: string;
      try {
        tail = decoder.decode();
      } catch {
        throw new LeadsFileError({ code: "leads.not_utf8", message: `${file} ends in the middle of a UTF-8 character; save it as UTF-8`, file });
      }
      if (!stopped) {
        if (tail) reader.push(tail);
        reader.end();
      }
    } catch (error) {
      if (error instanceof LeadsFileError) {
        this.#report.problem(error.problem);
        return;
      }
      if (error instanceof CsvSyntaxError || error instanceof SqlSyntaxError) {
        this.#report.problem({ code: "leads.syntax", message: `${file}: ${error.message}`, file, line: error.line });
        return;
      }
      throw error;
    }
    if (!sawHeader) this.#report.problem({ code: "leads.empty", message: `${file} holds no leads: it needs ${file.endsWith(".csv") ? "a header row and" : "INSERT statements with"} at least one lead`, file });
    if (this.#report.clean && batch.length > 0) await this.#stageLeads(batch);
    await this.run.update({ leads_read: rowNumber }, true);
    this.#checkChecksum(file, hash.digest("hex"));
    report.leads.shared_phone_numbers = [...phoneCounts.values()].filter((count) => count > 1).length;
    if (report.leads.shared_phone_numbers > 0) {
      this.#report.warning({
        code: "leads.shared_phone_numbers",
        message: `${report.leads.shared_phone_numbers} phone number${report.leads.shared_phone_numbers === 1 ? " is" : "s are"} shared by several leads; a lookup by phone answers the first of them`,
        file,
      });
    }
    if (report.leads.without_audio > 0) {
      this.#report.warning({ code: "leads.without_audio", message: `${report.leads.without_audio} lead${report.leads.without_audio === 1 ? " has" : "s have"} an empty audio cell; the default prompt plays there`, file });
    }
    if (rowNumber !== this.#manifest.lead_count && plan) {
      this.#report.problem({ code: "leads.count_mismatch", message: `${file} holds ${rowNumber} leads; manifest.json says lead_count ${this.#manifest.lead_count}`, file });
    }
  }

  async #stageLeads(leads: ParsedLead[]): Promise<void> {
    await this.deps.imports.insertStagedLeads(this.run.id, leads);
    this.onLeadsStaged?.(leads);
  }

  async #checkDiskSpace(): Promise<void> {
    const needed = this.#audioEntries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
    if (!this.#report.clean || needed === 0) return;
    await mkdir(this.importDirectory, { recursive: true });
    const space = await statfs(this.importDirectory);
    const available = Number(space.bavail) * Number(space.bsize);
    if (available < needed + diskHeadroomBytes) {
      reject("import.disk_full", `the audio needs ${needed} bytes but ${this.deps.audioStoragePath} has ${available} free (keeping ${diskHeadroomBytes} spare)`);
    }
  }

  async #readAudio(): Promise<void> {
    await this.run.update({ phase: "audio" }, true);
    const report = this.#report.report;
    let batch: StagedAudioFile[] = [];
    // In archive order: the file is read front to back.
    const ordered = [...this.#audioEntries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    for (const entry of ordered) {
      this.#checkAbort();
      const staged = await this.#readAudioFile(entry);
      report.audio.files++;
      report.audio.bytes += entry.uncompressedSize;
      if (entry.name.endsWith(".wav")) report.audio.wav_files++;
      else report.audio.ulaw_files++;
      if (staged) {
        report.audio.duration_ms += staged.durationMs ?? 0;
        if (this.#report.clean) batch.push(staged);
      }
      if (batch.length >= audioBatchSize) {
        await this.deps.imports.insertStagedAudioFiles(this.run.id, batch);
        batch = [];
      }
      await this.run.update({ audio_done: report.audio.files, audio_bytes_done: report.audio.bytes });
    }
    if (this.#report.clean) await this.deps.imports.insertStagedAudioFiles(this.run.id, batch);
    await this.run.update({ audio_done: report.audio.files, audio_bytes_done: report.audio.bytes }, true);
  }

  async #readAudioFile(entry: ZipEntry): Promise<StagedAudioFile | null> {
    const file = entry.name;
    const isWav = file.endsWith(".wav");
    if (entry.uncompressedSize > campaignPackageLimits.maxAudioFileBytes) {
      this.#report.problem({ code: "audio.too_large", message: `${file} is ${entry.uncompressedSize} bytes; an audio file may be at most ${campaignPackageLimits.maxAudioFileBytes}`, file });
      return null;
    }
    const hash = createHash("sha256");
    let header = new Uint8Array(0);
    let format: WavFormat | null = null;
    const target = join(this.importDirectory, audioRelativePath(file));
    // Synchronous writes: per file they cost tens of microseconds, where each awaited open/write/close
    // round trip through the thread pool costs far more; the dialer is served between entries.
    let descriptor: number | null = null;
    let checkedUlaw = false;
    try {
      await this.archive.readEntry(entry, async (chunk) => {
        this.#checkAbort();
        hash.update(chunk);
        if (isWav && !format) {
          header = header.length === 0 ? chunk.slice(0, maxWavHeaderBytes) : Buffer.concat([header, chunk.subarray(0, maxWavHeaderBytes)]);
          const inspected = inspectWavHeader(header, entry.uncompressedSize);
          if (inspected.status === "invalid") {
            this.#report.problem({ code: "audio.not_wav", message: `${file} is ${inspected.reason}; Asterisk plays RIFF PCM WAV, 8000 Hz, mono, 16-bit`, file });
            throw new StopEntry();
          }
          if (inspected.status === "ok") {
            const problem = asteriskWavProblem(inspected.format);
            if (problem) {
              this.#report.problem({ code: "audio.unsupported_format", message: `${file} is ${problem}; Asterisk plays a .wav only as PCM, 8000 Hz, mono, 16-bit`, file });
              throw new StopEntry();
            }
            format = inspected.format;
            header = new Uint8Array(0);
          }
        }
        if (!isWav && !checkedUlaw) {
          checkedUlaw = true;
          const other = sniffAudioContainer(chunk, { frameSync: false });
          if (other) {
            this.#report.problem({ code: "audio.not_ulaw", message: `${file} is ${other}; a .ulaw file holds raw G.711 µ-law samples without a header`, file });
            throw new StopEntry();
          }
        }
        if (!this.#report.clean) return;
        if (descriptor === null) {
          const directory = dirname(target);
          if (!this.#madeDirectories.has(directory)) {
            mkdirSync(directory, { recursive: true });
            this.#madeDirectories.add(directory);
          }
          descriptor = openSync(target, "wx", 0o644);
        }
        writeAllSync(descriptor, chunk);
      });
    } catch (error) {
      if (!(error instanceof StopEntry)) throw error;
      return null;
    } finally {
      if (descriptor !== null) closeSync(descriptor);
    }
    if (isWav && !format) {
      this.#report.problem({ code: "audio.not_wav", message: `${file} ends before its WAV header does`, file });
      return null;
    }
    if (descriptor !== null) this.writtenFiles.push(target);
    if (entry.uncompressedSize === 0) {
      this.#report.problem({ code: "audio.empty", message: `${file} is empty`, file });
      return null;
    }
    if (!this.#checkChecksum(file, hash.digest("hex"))) return null;
    if (format) this.#wavFormats.set(file, format);
    return { path: file, size: entry.uncompressedSize, sha256: this.#listed.get(file)!.sha256, durationMs: format ? (format as WavFormat).durationMs : null };
  }

  async #finalChecks(): Promise<void> {
    await this.run.update({ phase: "checking" }, true);
    const report = this.#report.report;
    const defaultAudio = this.#manifest.default_audio;
    if (defaultAudio) this.#referenced.add(defaultAudio);
    const unreferenced = [...this.#wavFiles].filter((path) => !this.#referenced.has(path));
    report.audio.unreferenced = unreferenced.length;
    if (unreferenced.length > 0) {
      this.#report.warning({
        code: "audio.unreferenced",
        message: `${unreferenced.length} audio file${unreferenced.length === 1 ? " is" : "s are"} not used by any lead (e.g. ${unreferenced.slice(0, 3).join(", ")}); they are kept but never played`,
        file: unreferenced[0],
      });
    }
    for (const entry of this.#audioEntries) {
      if (!entry.name.endsWith(".ulaw")) continue;
      const sibling = wavSiblingPath(entry.name);
      const wav = this.#wavFormats.get(sibling);
      if (!this.#wavFiles.has(sibling)) {
        this.#report.problem({ code: "audio.orphan_ulaw", message: `${entry.name} has no ${sibling} beside it; a .ulaw file is a sibling of a .wav`, file: entry.name });
      } else if (wav && Math.abs(entry.uncompressedSize - wav.dataBytes / 2) > Math.max(160, wav.dataBytes / 200)) {
        this.#report.warning({ code: "audio.ulaw_length", message: `${entry.name} holds ${entry.uncompressedSize} samples but ${sibling} holds ${wav.dataBytes / 2}: they may not be the same recording`, file: entry.name });
      }
    }
    this.run.progress.problems = report.problem_count;
  }

  #checkChecksum(file: string, sha256: string): boolean {
    const listed = this.#listed.get(file);
    if (!listed) return false;
    if (listed.sha256 !== sha256) {
      this.#report.problem({ code: "package.checksum_mismatch", message: `${file} has SHA-256 ${sha256}; manifest.json says ${listed.sha256} (damaged or altered file)`, file });
      return false;
    }
    return true;
  }

  #checkAbort(): void {
    if (this.signal?.aborted) throw new ImportAbortedError("the edge was shutting down");
    if (this.run.leaseLost) throw new ImportAbortedError("the import lock was taken over");
  }
}

class LeadsFileError extends Error {
  constructor(readonly problem: ImportProblem) {
    super(problem.message);
  }
}

/** Names the line and the byte in it where a leads file stops being UTF-8. */
function notUtf8Problem(file: string, chunk: Uint8Array, lines: LineTracker, firstPiece: boolean): ImportProblem {
  // A piece may start inside a character begun at the end of the one before.
  let start = 0;
  while (!firstPiece && start < 3 && start < chunk.length && (chunk[start]! & 0xc0) === 0x80) start++;
  const bad = Math.max(0, firstInvalidUtf8Byte(chunk, start));
  const at = lines.locate(chunk, bad);
  const value = chunk[bad] === undefined ? "" : ` (0x${chunk[bad]!.toString(16).toUpperCase().padStart(2, "0")})`;
  return {
    code: "leads.not_utf8",
    message: `${file} line ${at.line} is not UTF-8 text: byte ${at.byteInLine} of that line${value}, byte ${at.byteInFile} of the file, is not allowed there (Latin-1 or Windows-1252 text looks like this); save the file as UTF-8`,
    file,
    line: at.line,
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function macosHint(name: string): string {
  return name.startsWith("__MACOSX") || name.endsWith(".DS_Store") ? " (macOS Finder adds these: create the zip with `zip -r -X`)" : "";
}
