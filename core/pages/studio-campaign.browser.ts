import { ApiError, byId, clearMessage, element, focusOn, progressBar, showMessage } from "../../shared/pages/browser/page-kit.ts";
import { fillTemplate } from "../studio/script-template.ts";
import { dashboardApi, dashboardFileUrl, startDashboardPage, storedAdminToken } from "./browser/admin-token.ts";
import { campaignIdOfPage, campaignPath, campaignStateBadge, hasReason, leadFailureText, leadLabel, problemList, reasonText, type StudioCampaignView, type StudioLeadView, showGeneration, studioErrorText, watchCampaign } from "./browser/studio-campaign.ts";

interface LeadFileProblem {
  code: string;
  message: string;
  row?: number;
  line?: number;
  column?: string;
}

const kit = startDashboardPage();
const id = campaignIdOfPage();
const path = campaignPath(id);
const slotPattern = /^[a-z0-9][a-z0-9_]{0,31}$/;
const generation = progressBar("generation");
let campaign: StudioCampaignView | null = null;
let previewLeads: StudioLeadView[] = [];

const watcher = watchCampaign(kit, id, showCampaign, (error) => showMessage(byId("campaign-message"), "bad", kit.say("kit.requestFailed", { status: "" }), studioErrorText(kit, error)));

function showCampaign(next: StudioCampaignView): void {
  const first = campaign === null;
  campaign = next;
  document.title = `${next.name} · ${kit.say("product")}`;
  byId("campaign-name").textContent = next.name;
  byId("campaign-state").replaceChildren(campaignStateBadge(kit, next.state));
  byId("campaign-about").textContent = kit.say("campaign.about", { id: next.id, language: kit.say(`language.${next.language}`), voice: next.voice ?? kit.say("campaign.defaultVoice") });
  byId<HTMLAnchorElement>("review-link").href = `/studio/${encodeURIComponent(next.id)}/review`;
  byId("leads-summary").textContent = kit.say("leads.count", { count: next.progress.leads_total });
  byId("leads-columns").textContent = next.columns.length > 0 ? kit.say("leads.columns", { columns: next.columns.join(", ") }) : "";
  byId("preview-fields").textContent = next.columns.length > 0 ? kit.say("script.fields", { fields: next.columns.map((column) => `{${column}}`).join(" ") }) : "";
  if (first) {
    const slots = Object.entries(next.slots);
    for (const [slot, text] of slots.length > 0 ? slots : [["greeting", ""] as [string, string]]) addSlotRow(slot, text);
    byId<HTMLInputElement>("rephrase").checked = next.rephrase;
  }
  const generating = next.state === "generating";
  for (const button of ["upload", "save-script", "generate-button"]) byId<HTMLButtonElement>(button).disabled = generating;
  byId("generate-button").textContent = kit.say(next.state === "ready" || next.state === "failed" ? "generate.again" : "generate.start");
  showGeneration(kit, generation, next);
  const failures = next.state === "generating" ? [] : next.progress.failures;
  byId("failures").hidden = failures.length === 0;
  byId("failure-list").replaceChildren(
    ...failures.map((failure) =>
      element(
        "li",
        {},
        element("a", { href: `/studio/${encodeURIComponent(next.id)}/review?cursor=${failure.lead_id - 1}`, text: kit.say("generate.failure", { lead: String(failure.lead_id) }) }),
        " ",
        leadFailureText(kit, failure.code, failure.reason),
      ),
    ),
  );
  const download = byId<HTMLAnchorElement>("download");
  download.hidden = next.state !== "ready";
  byId("download-waiting").hidden = next.state === "ready";
  download.href = `${path}/package`;
  download.download = `${next.id}.zip`;
  byId<HTMLButtonElement>("publish-button").disabled = next.state !== "ready";
}

// --- 1. Leads: all or nothing; every problem named by row and column.

/** The server's sentence without the place it starts with, which the title already names. */
function problemText(problem: LeadFileProblem): string {
  return problem.message.replace(/^leads\.csv(?: row \d+)?(?: \(line \d+\))?(?:, column [a-z0-9_]+)?: /, "");
}

function problemTitle(problem: LeadFileProblem): string {
  if (problem.row !== undefined && problem.column) return kit.say("leads.problem", { row: problem.row, column: problem.column });
  if (problem.row !== undefined) return kit.say("leads.problemRow", { row: problem.row });
  if (problem.line !== undefined) return kit.say("leads.problemLine", { line: problem.line });
  return kit.say("leads.problemFile");
}

byId<HTMLFormElement>("leads-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = byId("leads-message");
  const file = byId<HTMLInputElement>("leads-file").files?.[0];
  if (!file) {
    showMessage(message, "bad", kit.say("leads.chooseFile"));
    byId("leads-file").focus();
    return;
  }
  const button = byId<HTMLButtonElement>("upload");
  button.disabled = true;
  button.textContent = kit.say("leads.uploading");
  try {
    const uploaded = await dashboardApi<{ leads: number }>(kit, `${path}/leads`, { method: "PUT", headers: { "content-type": "text/csv" }, body: file });
    // The summary and the preview show the new leads before the message says they are in (the leads
    // are stored either way: a refresh that fails leaves the old figures, not a refusal).
    await Promise.all([loadPreviewLeads(), refresh()]).catch(() => {});
    showMessage(message, "ok", kit.say("leads.uploaded", { count: uploaded.leads }));
  } catch (error) {
    const details = error instanceof ApiError && error.code === "studio.leads_invalid" ? (error.details as { problems: LeadFileProblem[]; problem_count: number } | null) : null;
    if (details) {
      const more = details.problem_count - details.problems.length;
      showMessage(
        message,
        "bad",
        kit.say("leads.refused", { count: details.problem_count }),
        kit.say("leads.refusedHint"),
        problemList(details.problems.map((problem) => ({ title: problemTitle(problem), text: reasonText(kit, problem.code, problemText(problem)) }))),
        more > 0 ? kit.say("leads.moreProblems", { count: more }) : null,
      );
    } else showMessage(message, "bad", kit.say("leads.refused", { count: 1 }), studioErrorText(kit, error));
    focusOn(message);
  } finally {
    button.textContent = kit.say("leads.upload");
    button.disabled = campaign?.state === "generating";
  }
});

// --- 2. Script: one text per slot, previewed live for one lead.

const slotList = byId<HTMLOListElement>("slots");
let slotCounter = 0;

function renumberSlots(): void {
  [...slotList.children].forEach((row, index) => {
    const number = index + 1;
    row.querySelector("legend")!.textContent = kit.say("script.slotNumber", { number });
    row.querySelector("textarea")!.labels[0]!.textContent = kit.say("script.text", { number });
    row.querySelector("button")!.setAttribute("aria-label", kit.say("script.remove", { number }));
  });
}

function addSlotRow(slot: string, text: string): HTMLInputElement {
  const key = ++slotCounter;
  const name = element("input", { type: "text", id: `slot-name-${key}`, class: "slot-name", value: slot, maxlength: 32, autocomplete: "off", spellcheck: "false" });
  const words = element("textarea", { id: `slot-text-${key}`, class: "slot-text", rows: 2, maxlength: 2000 });
  words.value = text;
  const remove = element("button", { type: "button", class: "plain", text: kit.say("script.removeButton") });
  const row = element(
    "li",
    { "data-slot-row": String(key) },
    element(
      "fieldset",
      {},
      element("legend", { class: "visually-hidden" }),
      element("div", { class: "slot-name-field" }, element("label", { for: name.id, text: kit.say("script.slot") }), name),
      element("div", { class: "slot-text-field" }, element("label", { for: words.id }), words),
      element("div", { class: "slot-remove" }, remove),
    ),
  );
  remove.addEventListener("click", () => {
    const next = (row.nextElementSibling ?? row.previousElementSibling) as HTMLElement | null;
    row.remove();
    renumberSlots();
    updatePreview();
    (next?.querySelector("input") ?? byId("add-slot")).focus();
  });
  name.addEventListener("input", updatePreview);
  words.addEventListener("input", updatePreview);
  slotList.append(row);
  renumberSlots();
  return name;
}

function slotRows(): Array<{ number: number; slot: string; text: string; name: HTMLInputElement; words: HTMLTextAreaElement }> {
  return [...slotList.children].map((row, index) => {
    const name = row.querySelector<HTMLInputElement>("input.slot-name")!;
    const words = row.querySelector<HTMLTextAreaElement>("textarea")!;
    return { number: index + 1, slot: name.value.trim(), text: words.value, name, words };
  });
}

byId("add-slot").addEventListener("click", () => {
  addSlotRow("", "").focus();
  updatePreview();
});

function updatePreview(): void {
  const preview = byId("preview");
  const lead = previewLeads.find((candidate) => String(candidate.lead_id) === byId<HTMLSelectElement>("preview-lead").value);
  if (!lead) {
    preview.replaceChildren(element("dd", { class: "muted", text: kit.say("script.noLeads") }));
    return;
  }
  const values = { ...lead.fields, lead_id: String(lead.lead_id), phone_number: lead.phone_number };
  preview.replaceChildren(
    ...slotRows().flatMap((row) => {
      const filled = fillTemplate(row.text, values);
      const text = filled.ok ? element("dd", { "data-slot": row.slot, text: filled.text || kit.say("script.previewEmpty") }) : element("dd", { "data-slot": row.slot, "data-missing": filled.missing.join(","), class: "bad-text", text: kit.say("script.missing", { fields: filled.missing.join(", ") }) });
      return [element("dt", { text: row.slot || kit.say("script.slotNumber", { number: row.number }) }), text];
    }),
  );
}

async function loadPreviewLeads(): Promise<void> {
  const select = byId<HTMLSelectElement>("preview-lead");
  const chosen = select.value;
  previewLeads = (await dashboardApi<{ leads: StudioLeadView[] }>(kit, `${path}/leads?limit=50`)).leads;
  select.replaceChildren(...previewLeads.map((lead) => element("option", { value: String(lead.lead_id), text: `${lead.lead_id} · ${leadLabel(lead)}` })));
  select.disabled = previewLeads.length === 0;
  if (previewLeads.some((lead) => String(lead.lead_id) === chosen)) select.value = chosen;
  updatePreview();
}
byId("preview-lead").addEventListener("change", updatePreview);

byId<HTMLFormElement>("script-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = byId("script-message");
  clearMessage(message);
  const rows = slotRows();
  const problems: Array<{ field: HTMLElement; text: string }> = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (!slotPattern.test(row.slot)) problems.push({ field: row.name, text: kit.say("script.slotInvalid", { number: row.number }) });
    else if (seen.has(row.slot)) problems.push({ field: row.name, text: kit.say("script.slotTwice", { number: row.number, slot: row.slot }) });
    else if (row.text.trim() === "") problems.push({ field: row.words, text: kit.say("script.textEmpty", { slot: row.slot }) });
    seen.add(row.slot);
  }
  for (const row of rows) {
    row.name.toggleAttribute("aria-invalid", problems.some((problem) => problem.field === row.name));
    row.words.toggleAttribute("aria-invalid", problems.some((problem) => problem.field === row.words));
  }
  if (problems.length > 0) {
    showMessage(message, "bad", kit.say("script.refused"), problemList(problems.map((problem) => ({ title: "", text: problem.text }))));
    problems[0]!.field.focus();
    return;
  }
  try {
    const saved = await dashboardApi<StudioCampaignView>(kit, `${path}/script`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ slots: Object.fromEntries(rows.map((row) => [row.slot, row.text])), rephrase: byId<HTMLInputElement>("rephrase").checked }),
    });
    showCampaign(saved);
    showMessage(message, "ok", kit.say("script.saved"));
  } catch (error) {
    const details = error instanceof ApiError && error.code === "studio.script_invalid" ? (error.details as { problems: Array<{ message: string; slot?: string }> } | null) : null;
    showMessage(message, "bad", kit.say("script.refused"), details ? problemList(details.problems.map((problem) => ({ title: problem.slot ?? "", text: problem.message }))) : studioErrorText(kit, error));
    focusOn(message);
  }
});

// --- 3. Generate, with the progress polled until the campaign settles.

byId("generate-button").addEventListener("click", async () => {
  const message = byId("generate-message");
  clearMessage(message);
  try {
    showCampaign(await dashboardApi<StudioCampaignView>(kit, `${path}/generate`, { method: "POST" }));
    showMessage(message, "info", kit.say("generate.started"));
    watcher.poll();
  } catch (error) {
    showMessage(message, "bad", kit.say("generate.refused"), studioErrorText(kit, error));
  }
});

// --- 4. Export: a plain download with the session; through fetch with the token.

byId<HTMLAnchorElement>("download").addEventListener("click", async (event) => {
  if (!storedAdminToken()) return;
  event.preventDefault();
  try {
    const link = element("a", { href: await dashboardFileUrl(`${path}/package`), download: `${id}.zip` });
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (error) {
    showMessage(byId("export-message"), "bad", kit.say("export.failed"), studioErrorText(kit, error));
  }
});

// --- 5. Publish to an edge: the core's edges, the push, and the edge's report.

interface PublishAnswer {
  edge_id: string | number;
  status: string;
  report: unknown;
}

function showReport(report: unknown): void {
  const details = byId<HTMLDetailsElement>("publish-report");
  details.hidden = report === undefined || report === null;
  details.open = true;
  byId("publish-report-text").textContent = JSON.stringify(report, null, 2);
}

async function loadEdges(): Promise<void> {
  const message = byId("publish-message");
  let edges: Array<{ id: string | number; name: string; url?: string }>;
  try {
    edges = (await dashboardApi<{ edges: Array<{ id: string | number; name: string; url?: string }> }>(kit, "/api/v1/studio/edges")).edges;
  } catch (error) {
    // Only this card depends on the edges: a core without them, or an account that may not publish, says so here.
    if (error instanceof ApiError && error.status === 404) return showMessage(message, "info", kit.say("publish.unavailable"));
    return showMessage(message, "warn", kit.say("publish.failed"), studioErrorText(kit, error));
  }
  if (edges.length === 0) return showMessage(message, "info", kit.say("publish.noEdges"));
  byId("publish-edge").replaceChildren(...edges.map((edge) => element("option", { value: String(edge.id), text: edge.url ? `${edge.name} (${edge.url})` : edge.name })));
  byId("publish-form").hidden = false;
}

byId<HTMLFormElement>("publish-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = byId("publish-message");
  const button = byId<HTMLButtonElement>("publish-button");
  button.disabled = true;
  showMessage(message, "info", kit.say("publish.working"));
  try {
    const edgeId = byId<HTMLSelectElement>("publish-edge").value;
    const answer = await dashboardApi<PublishAnswer>(kit, `${path}/publish`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ edge_id: /^\d+$/.test(edgeId) ? Number(edgeId) : edgeId }) });
    // The edge's outcome: deployed, or rejected / failed with the problems its report names.
    const accepted = !/fail|refus|reject|error/i.test(answer.status);
    const problems = (answer.report as { problems?: Array<{ code?: string; message: string }> } | null)?.problems ?? [];
    showMessage(message, accepted ? "ok" : "bad", kit.say(accepted ? "publish.done" : "publish.refused", { status: answer.status }), problems.length > 0 ? problemList(problems.map((problem) => ({ title: hasReason(kit, problem.code) ? "" : (problem.code ?? ""), text: reasonText(kit, problem.code ?? null, problem.message) }))) : null);
    showReport(answer.report);
  } catch (error) {
    showMessage(message, "bad", kit.say("publish.failed"), studioErrorText(kit, error));
    showReport(error instanceof ApiError ? (error.details as { report?: unknown } | null)?.report : undefined);
  } finally {
    button.disabled = campaign?.state !== "ready";
    focusOn(message);
  }
});

async function refresh(): Promise<void> {
  showCampaign(await dashboardApi<StudioCampaignView>(kit, path));
  if (campaign?.state === "generating") watcher.poll();
}

Promise.all([refresh(), loadPreviewLeads(), loadEdges()])
  .then(() => {
    document.body.dataset.loaded = "true";
  })
  .catch((error: unknown) => {
    const missing = error instanceof ApiError && error.code === "studio.campaign_not_found";
    showMessage(byId("campaign-message"), "bad", missing ? kit.say("campaign.notFound", { id }) : kit.say("kit.requestFailed", { status: "" }), missing ? element("a", { href: "/studio", text: kit.say("campaign.back") }) : studioErrorText(kit, error));
  });
