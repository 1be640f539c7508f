import { type CommandOutput, reportingExpectedErrors } from "../../shared/cli/command-output.ts";
import type { EdgeDeps } from "../edge-deps.ts";
import { recoverInterruptedImports } from "../importer/import-lock.ts";

/** `edge rollback`: the previous campaign is served again (a running edge picks it up within a second). */
export async function runRollbackCommand(deps: EdgeDeps, output: CommandOutput): Promise<number> {
  return reportingExpectedErrors(output, async () => {
    await recoverInterruptedImports(deps.importer);
    const swapped = await deps.deployment.rollback();
    const active = await deps.importer.imports.findImport(swapped.activeImportId);
    output.out(`rolled back: import ${swapped.activeImportId} (campaign ${active?.campaignId} "${active?.campaignName}", ${active?.leadCount} leads) is served again; import ${swapped.previousImportId} is kept as the previous one\n`);
    return 0;
  });
}

/** `edge campaigns [--limit N]`: what is served and the import history. */
export async function runCampaignsCommand(deps: Pick<EdgeDeps, "importer">, args: string[], output: CommandOutput): Promise<number> {
  const limitIndex = args.indexOf("--limit");
  const limit = limitIndex >= 0 ? Number(args[limitIndex + 1]) : 20;
  if (!Number.isInteger(limit) || limit < 1) {
    output.err("usage: salescontrol-edge campaigns [--limit N]\n");
    return 2;
  }
  const imports = await deps.importer.imports.listImports({ limit });
  if (imports.length === 0) {
    output.out("no imports yet: salescontrol-edge import <package.zip>, or the importer page at /importer\n");
    return 0;
  }
  const rows = imports.map((record) => [
    String(record.id),
    record.state,
    record.campaignId ?? "-",
    record.leadCount === null ? "-" : String(record.leadCount),
    record.audioCount === null ? "-" : String(record.audioCount),
    new Date(record.startedAt).toISOString().replace("T", " ").slice(0, 19),
    `${record.source}${record.operator ? ` (${record.operator})` : ""}`,
    record.fileName,
    record.errorMessage ?? "",
  ]);
  const header = ["import", "state", "campaign", "leads", "audio", "started (UTC)", "by", "file", "outcome"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (column === 8 ? 0 : row[column]!.length))));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 8 ? cell : cell.padEnd(widths[column]!))).join("  ");
  output.out(`${[line(header), ...rows.map(line)].join("\n")}\n`);
  return 0;
}
