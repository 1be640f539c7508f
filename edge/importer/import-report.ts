import type { ImportSource } from "../campaigns/campaigns.schema.ts";
import type { ImportProblem } from "./import-problem.ts";

/** What an import did, kept with the import for the history; every field name is stable. */
export interface ImportReport {
  import_id: number;
  /** deployed: serving now · rejected: the package broke a rule · failed: the edge could not finish (disk, shutdown). */
  outcome: "deployed" | "rejected" | "failed";
  source: ImportSource;
  file_name: string;
  operator: string | null;
  campaign: { id: string; name: string } | null;
  package: {
    bytes: number | null;
    sha256: string | null;
    entries: number;
    format_version: number | null;
    created_at: string | null;
    generator: string | null;
    leads_file: string | null;
  };
  leads: {
    /** Data rows read from the leads file. */
    rows: number;
    valid: number;
    /** lead_count from the manifest. */
    declared: number | null;
    columns: string[];
    audio_slots: string[];
    /** Leads with at least one empty audio slot (the default prompt plays there). */
    without_audio: number;
    /** Phone numbers shared by several leads (a by-phone lookup answers the first). */
    shared_phone_numbers: number;
  };
  audio: { files: number; wav_files: number; ulaw_files: number; bytes: number; duration_ms: number; unreferenced: number };
  /** The first problems found, each naming file, row and column where it applies. */
  problems: ImportProblem[];
  problem_count: number;
  warnings: ImportProblem[];
  warning_count: number;
  /** The campaign this one replaced (now kept as the previous one, for rollback). */
  replaced_import_id: number | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export const maxListedProblems = 100;

export class ImportReportBuilder {
  readonly report: ImportReport;

  /** `resumed`: carries on a report begun elsewhere (the staging side continues the serving thread's). */
  constructor(values: { importId: number; source: ImportSource; fileName: string; operator: string | null; startedAt: number }, resumed?: ImportReport) {
    this.report = resumed ?? {
      import_id: values.importId,
      outcome: "rejected",
      source: values.source,
      file_name: values.fileName,
      operator: values.operator,
      campaign: null,
      package: { bytes: null, sha256: null, entries: 0, format_version: null, created_at: null, generator: null, leads_file: null },
      leads: { rows: 0, valid: 0, declared: null, columns: [], audio_slots: [], without_audio: 0, shared_phone_numbers: 0 },
      audio: { files: 0, wav_files: 0, ulaw_files: 0, bytes: 0, duration_ms: 0, unreferenced: 0 },
      problems: [],
      problem_count: 0,
      warnings: [],
      warning_count: 0,
      replaced_import_id: null,
      started_at: new Date(values.startedAt).toISOString(),
      finished_at: null,
      duration_ms: null,
    };
  }

  get clean(): boolean {
    return this.report.problem_count === 0;
  }

  problem(problem: ImportProblem): void {
    this.report.problem_count++;
    if (this.report.problems.length < maxListedProblems) this.report.problems.push(problem);
  }

  warning(warning: ImportProblem): void {
    this.report.warning_count++;
    if (this.report.warnings.length < maxListedProblems) this.report.warnings.push(warning);
  }

  finish(outcome: ImportReport["outcome"], finishedAt: number, startedAt: number): ImportReport {
    this.report.outcome = outcome;
    this.report.finished_at = new Date(finishedAt).toISOString();
    this.report.duration_ms = finishedAt - startedAt;
    return this.report;
  }
}

/** One line an operator reads first: what happened, and the first reason if refused. */
export function summarizeReport(report: ImportReport): string {
  if (report.outcome === "deployed") {
    return `campaign ${report.campaign?.id} "${report.campaign?.name}" deployed: ${report.leads.valid} leads, ${report.audio.files} audio files`;
  }
  const first = report.problems[0]?.message ?? "unknown reason";
  const more = report.problem_count > 1 ? ` (and ${report.problem_count - 1} more problem${report.problem_count === 2 ? "" : "s"})` : "";
  return `${report.outcome === "failed" ? "import failed" : "package refused"}: ${first}${more}; nothing changed`;
}
