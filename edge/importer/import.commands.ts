import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { type CommandOutput, reportingExpectedErrors } from "../../shared/cli/command-output.ts";
import type { EdgeDeps } from "../edge-deps.ts";
import { importPackageFile } from "./campaign-import.usecases.ts";
import { beginImport, type ImportProgress, recoverInterruptedImports } from "./import-lock.ts";
import type { ImportReport } from "./import-report.ts";
import { summarizeReport } from "./import-report.ts";

/**
 * `edge import <zip>`: the same validation and atomic switch as the importer page, with progress
 * on the terminal. A running edge picks the new campaign up within a second.
 */
export async function runImportCommand(deps: EdgeDeps, args: string[], output: CommandOutput, signal: AbortSignal): Promise<number> {
  const path = args.find((arg) => !arg.startsWith("-"));
  if (!path) {
    output.err("usage: salescontrol-edge import <package.zip>\n");
    return 2;
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    output.err(`${path}: no such file\n`);
    return 2;
  }
  const progress = createProgressPrinter(output);
  return reportingExpectedErrors(output, async () => {
    await recoverInterruptedImports(deps.importer);
    const run = await beginImport(deps.importer, { source: "cli", fileName: basename(path), operator: process.env.USER ?? null, onProgress: progress });
    output.err(`import ${run.id}: reading ${path}\n`);
    const report = await importPackageFile(deps.importer, run, path, signal);
    progress.finish();
    output.out(formatReport(report));
    return report.outcome === "deployed" ? 0 : 1;
  });
}

export function formatReport(report: ImportReport): string {
  const lines = [summarizeReport(report)];
  if (report.campaign) lines.push(`  campaign   ${report.campaign.id} "${report.campaign.name}" (import ${report.import_id})`);
  lines.push(`  leads      ${report.leads.valid} valid of ${report.leads.rows} read (manifest: ${report.leads.declared ?? "?"})`);
  lines.push(`  audio      ${report.audio.files} files (${report.audio.wav_files} wav, ${report.audio.ulaw_files} ulaw), ${(report.audio.bytes / 1e6).toFixed(1)} MB, ${Math.round(report.audio.duration_ms / 1000)} s`);
  if (report.replaced_import_id !== null) lines.push(`  replaced   import ${report.replaced_import_id} (kept for: salescontrol-edge rollback)`);
  if (report.problem_count > 0) {
    lines.push(`  problems (${report.problem_count}):`);
    for (const problem of report.problems.slice(0, 50)) lines.push(`    [${problem.code}] ${problem.message}`);
    if (report.problem_count > 50) lines.push(`    … ${report.problem_count - 50} more`);
  }
  if (report.warning_count > 0) {
    lines.push(`  warnings (${report.warning_count}):`);
    for (const warning of report.warnings.slice(0, 20)) lines.push(`    [${warning.code}] ${warning.message}`);
  }
  lines.push(`  took       ${((report.duration_ms ?? 0) / 1000).toFixed(1)} s`);
  return `${lines.join("\n")}\n`;
}

function createProgressPrinter(output: CommandOutput): ((progress: ImportProgress) => void) & { finish(): void } {
  let lastPhase = "";
  let lastLine = "";
  let lastPrinted = 0;
  const describe = (progress: ImportProgress) => {
    switch (progress.phase) {
      case "leads":
        return `leads   ${progress.leads_read}${progress.leads_expected ? ` / ${progress.leads_expected}` : ""}`;
      case "audio":
        return `audio   ${progress.audio_done} / ${progress.audio_expected ?? "?"} files, ${(progress.audio_bytes_done / 1e6).toFixed(1)} / ${((progress.audio_bytes_expected ?? 0) / 1e6).toFixed(1)} MB`;
      default:
        return progress.phase;
    }
  };
  const printer = (progress: ImportProgress) => {
    const line = `  ${describe(progress)}${progress.problems > 0 ? `  (${progress.problems} problem${progress.problems === 1 ? "" : "s"})` : ""}`;
    if (line === lastLine) return;
    const now = Date.now();
    if (output.interactive) {
      if (progress.phase !== lastPhase && lastPhase !== "") output.err("\n");
      output.err(`\r${line}\u001b[K`);
    } else if (progress.phase !== lastPhase || now - lastPrinted > 2000) {
      output.err(`${line}\n`);
      lastPrinted = now;
    }
    lastPhase = progress.phase;
    lastLine = line;
  };
  return Object.assign(printer, {
    finish: () => {
      if (output.interactive && lastPhase !== "") output.err("\n");
    },
  });
}
