import type { ImportProblem } from "../import-problem.ts";
import { api, badge, element, emptyState, type PageKit, showMessage, type Tone, tableRow } from "../../../shared/pages/browser/page-kit.ts";

/** The import report and history as the importer and the dashboard show them. */

export interface ImportReport {
  import_id: number;
  outcome: "deployed" | "rejected" | "failed";
  source: "upload" | "api" | "cli";
  file_name: string;
  operator: string | null;
  campaign: { id: string; name: string } | null;
  package: { bytes: number | null; sha256: string | null; leads_file: string | null };
  leads: { rows: number; valid: number; without_audio: number; audio_slots: string[] };
  audio: { files: number; bytes: number; duration_ms: number };
  problems: ImportProblem[];
  problem_count: number;
  warnings: ImportProblem[];
  warning_count: number;
  replaced_import_id: number | null;
  duration_ms: number | null;
}

export interface ImportRecord {
  id: number;
  state: "running" | "active" | "previous" | "retired" | "failed";
  phase: string;
  source: "upload" | "api" | "cli";
  file_name: string;
  operator: string | null;
  campaign_id: string | null;
  campaign_name: string | null;
  lead_count: number | null;
  audio_count: number | null;
  started_at: string;
  finished_at: string | null;
  error_message: string | null;
  problem_count: number | null;
  progress: Record<string, number | null>;
  report: ImportReport | null;
}

export interface RollbackRecord {
  id: number;
  rolled_back_at: string;
  operator: string | null;
  from_import_id: number;
  to_import_id: number;
}

export const stateTones: Record<ImportRecord["state"], Tone> = { running: "info", active: "ok", previous: "neutral", retired: "neutral", failed: "bad" };

export function stateBadge(kit: PageKit<unknown>, state: ImportRecord["state"]): HTMLElement {
  return badge(kit.say(`state.${state}`), stateTones[state], state);
}

export function phaseName(kit: PageKit<unknown>, phase: string): string {
  const key = `phase.${phase}`;
  const name = kit.say(key);
  return name === key ? phase : name;
}

/** The part of a problem's message after its location, which the page writes itself. */
function reasonOf(problem: ImportProblem): string {
  if (problem.row === undefined && problem.line === undefined) return problem.message;
  const colon = problem.message.indexOf(": ");
  return colon >= 0 && colon < 120 ? problem.message.slice(colon + 2) : problem.message;
}

function problemItem(kit: PageKit<unknown>, problem: ImportProblem, leadsFile: string | null): HTMLElement {
  const values = { column: problem.column ?? "", file: problem.file ?? "" };
  const titleKey = `problem.${problem.code}.title`;
  const known = kit.say(titleKey) !== titleKey;
  const title = known ? kit.say(titleKey, values) : problem.message;
  const action = known ? kit.say(`problem.${problem.code}.action`, values) : kit.say("problem.default.action");
  const where: string[] = [];
  const inLeads = problem.file !== undefined && problem.file === leadsFile;
  if (problem.file && !(inLeads && problem.row !== undefined)) where.push(kit.say("report.where.file", { file: problem.file }));
  if (problem.row !== undefined) where.push(problem.file?.endsWith(".sql") ? kit.say("report.where.record", { row: problem.row }) : kit.say("report.where.sheetRow", { row: problem.row + 1 }));
  if (problem.lead_id !== undefined) where.push(kit.say("report.where.lead", { lead: String(problem.lead_id) }));
  else if (problem.line !== undefined && problem.row === undefined) where.push(kit.say("report.where.line", { line: problem.line }));
  return element(
    "li",
    { "data-code": problem.code },
    element("b", { text: title }),
    // The reason in the edge's words, unless it is only hashes and sizes (those stay behind Details).
    known && reasonOf(problem) !== title && !/[0-9a-f]{32}/i.test(reasonOf(problem)) ? element("span", { text: ` — ${reasonOf(problem)}` }) : null,
    where.length > 0 ? element("div", { class: "muted", "data-where": "", text: where.join(" · ") }) : null,
    element("div", { "data-action": "", text: action }),
    element("details", {}, element("summary", { text: kit.say("kit.details") }), element("p", {}, element("code", { text: problem.code }), " ", problem.message)),
  );
}

function figure(value: string, caption: string, name?: string): HTMLElement {
  return element("figure", { "data-figure": name }, element("b", { text: value }), element("figcaption", { text: caption }));
}

/**
 * Renders a report into `container` under a heading and moves focus to that heading.
 * `fallback` says what a lead without audio hears (null: one second of silence).
 */
export function renderReport(kit: PageKit<unknown>, container: HTMLElement, report: ImportReport, options: { fallback: string | null; focus: boolean }): void {
  const heading = element("h2", { tabindex: "-1", id: "report-heading", text: kit.say("report.heading", { id: report.import_id }) });
  const outcome = element("div", { class: "message", "data-outcome": report.outcome });
  if (report.outcome === "deployed") showMessage(outcome, "ok", kit.say("report.live", { campaign: report.campaign?.id ?? "", name: report.campaign?.name ?? "" }));
  else showMessage(outcome, "bad", kit.say(report.outcome === "rejected" ? "report.refused" : "report.failed"));
  const parts: Array<HTMLElement | null> = [heading, outcome];
  if (report.outcome === "deployed" && report.leads.without_audio > 0) {
    const warning = element("div", { class: "message", "data-warning": "without-audio" });
    showMessage(
      warning,
      "warn",
      kit.say("report.withoutAudioTitle", { count: report.leads.without_audio }),
      options.fallback ? kit.say("report.withoutAudioFallback", { prompt: options.fallback }) : kit.say("report.withoutAudioSilence"),
    );
    parts.push(warning);
  }
  if (report.outcome === "deployed") {
    parts.push(
      element(
        "div",
        { class: "figures" },
        figure(kit.number(report.leads.valid), kit.say("report.leads"), "leads"),
        figure(kit.number(report.audio.files), kit.say("report.audioFiles", { size: kit.bytes(report.audio.bytes) }), "audio"),
        figure(kit.duration(report.audio.duration_ms), kit.say("report.ofAudio")),
        figure(kit.duration(report.duration_ms), kit.say("report.importTime")),
      ),
    );
  } else {
    parts.push(element("div", { class: "figures" }, figure(kit.number(report.problem_count), kit.say("report.problemCount"), "problems")));
  }
  const size = kit.bytes(report.package.bytes);
  parts.push(element("p", { class: "muted", text: report.source === "cli" ? kit.say("report.metaCli", { file: report.file_name, size }) : kit.say("report.meta", { file: report.file_name, size, operator: report.operator ?? "–" }) }));
  if (report.replaced_import_id !== null && report.outcome === "deployed") parts.push(element("p", { class: "muted", text: kit.say("report.replaced", { id: report.replaced_import_id }) }));
  if (report.problem_count > 0) {
    parts.push(element("h3", { text: kit.say("report.problems", { count: report.problem_count }) }));
    parts.push(element("ol", { class: "problems", "data-testid": "problems" }, ...report.problems.map((problem) => problemItem(kit, problem, report.package.leads_file))));
    if (report.problem_count > report.problems.length) parts.push(element("p", { class: "muted", text: kit.say("report.moreProblems", { count: report.problem_count - report.problems.length }) }));
  }
  const otherWarnings = report.warnings.filter((warning) => warning.code !== "leads.without_audio" || report.outcome !== "deployed");
  if (otherWarnings.length > 0) {
    parts.push(element("h3", { text: kit.say("report.warnings", { count: otherWarnings.length }) }));
    parts.push(element("ul", { class: "warnings" }, ...otherWarnings.map((warning) => element("li", { "data-code": warning.code, text: warning.message }))));
  }
  container.replaceChildren(...parts.filter((part): part is HTMLElement => part !== null));
  container.hidden = false;
  if (options.focus) {
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  }
}

/** A refused import in one line: how many problems, and where to read them (the list holds no reports). */
function failureSummary(kit: PageKit<unknown>, record: ImportRecord): string {
  const problems = record.problem_count ?? 0;
  if (problems > 0) return kit.say("history.refused", { count: problems });
  return record.error_message ?? kit.say(`state.${record.state}`);
}

type HistoryEntry = { at: string; kind: "import"; record: ImportRecord } | { at: string; kind: "rollback"; rollback: RollbackRecord };

/** History rows, imports and rollbacks together, newest first; `openReport` shows an import's report. */
export function renderHistory(
  kit: PageKit<unknown>,
  body: HTMLElement,
  history: { imports: ImportRecord[]; rollbacks?: RollbackRecord[] },
  openReport: (importId: number) => void,
  columns: number,
): void {
  const entries: HistoryEntry[] = [
    ...history.imports.map((record) => ({ at: record.started_at, kind: "import" as const, record })),
    ...(history.rollbacks ?? []).map((rollback) => ({ at: rollback.rolled_back_at, kind: "rollback" as const, rollback })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  if (entries.length === 0) {
    body.replaceChildren(element("tr", {}, element("td", { colspan: String(columns), "data-label": "" }, emptyState(kit.say("importer.historyEmpty"), kit.say("importer.historyEmptyText")))));
    return;
  }
  body.replaceChildren(
    ...entries.map((entry) => {
      if (entry.kind === "rollback") {
        const rollback = entry.rollback;
        return tableRow({ "data-rollback-id": String(rollback.id) }, [
          { label: kit.say("column.import"), content: `#${rollback.to_import_id}` },
          { label: kit.say("column.state"), content: badge(kit.say("state.rolledBack"), "warn", "rolled-back") },
          { label: kit.say("column.campaign"), content: "" },
          { label: kit.say("column.started"), content: kit.dateTime(rollback.rolled_back_at) },
          {
            label: kit.say("column.outcome"),
            content: rollback.operator
              ? kit.say("history.rollbackBy", { operator: rollback.operator, from: rollback.from_import_id, to: rollback.to_import_id })
              : kit.say("history.rollbackCli", { from: rollback.from_import_id, to: rollback.to_import_id }),
          },
          { label: "", content: "" },
        ]);
      }
      const record = entry.record;
      const button =
        record.state === "running" ? null : element("button", { class: "plain", type: "button", "aria-label": kit.say("history.reportOf", { id: record.id }), text: kit.say("history.report") });
      button?.addEventListener("click", () => openReport(record.id));
      const campaign = record.campaign_name ? `${record.campaign_id} · ${record.campaign_name}` : (record.campaign_id ?? kit.say("kit.none"));
      const outcome = record.state === "running" ? phaseName(kit, record.phase) : record.state === "failed" ? failureSummary(kit, record) : kit.say("history.deployed");
      return tableRow({ "data-import-id": String(record.id) }, [
        { label: kit.say("column.import"), content: `#${record.id}` },
        { label: kit.say("column.state"), content: stateBadge(kit, record.state) },
        { label: kit.say("column.campaign"), content: record.lead_count === null ? campaign : `${campaign} (${kit.say("dashboard.leadCount", { count: record.lead_count })})` },
        { label: kit.say("column.started"), content: `${kit.dateTime(record.started_at)} · ${record.operator ?? kit.say("history.cli")}` },
        { label: kit.say("column.outcome"), content: element("span", { class: record.error_message ? "bad-text" : undefined, text: outcome }) },
        { label: "", content: button },
      ]);
    }),
  );
}

export async function fetchImport(kit: PageKit<unknown>, id: number): Promise<ImportRecord> {
  return api<ImportRecord>(kit, `/operator/api/imports/${id}`);
}
