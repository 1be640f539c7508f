import { api, byId, clearMessage, confirmAction, element, emptyState, showDialog, showMessage, startPage, tableRow } from "../../shared/pages/browser/page-kit.ts";
import { type CampaignSummary, fallbackPromptOf } from "../importer/browser/campaign-summary.ts";
import { type ImportRecord, phaseName, type RollbackRecord, renderHistory, renderReport } from "../importer/browser/import-view.ts";

interface Lead {
  lead_id: number;
  row: number;
  vendor_lead_code: string;
  phone_number: string;
  first_name: string;
  last_name: string;
  fields: Record<string, string>;
  audio: Array<{ slot: string; path: string | null; url: string | null; duration_ms: number | null }>;
}

const kit = startPage<null>();
const perPage = 25;
let page = 1;
let query = "";
let summary: CampaignSummary | null = null;
let runningTimer: ReturnType<typeof setTimeout> | undefined;

async function loadSummary(): Promise<void> {
  clearTimeout(runningTimer);
  summary = await api<CampaignSummary>(kit, "/operator/api/campaign");
  const { active, previous, running } = summary;
  const title = byId("campaign-title");
  const rollback = byId<HTMLButtonElement>("rollback");
  const figures = byId("figures");
  if (!active) {
    title.textContent = kit.say("dashboard.noCampaign");
    byId("campaign-meta").textContent = "";
    byId("campaign-empty").replaceChildren(emptyState(kit.say("dashboard.noCampaign"), kit.say("dashboard.noCampaignText"), { href: "/importer", label: kit.say("dashboard.openImporter") }));
    figures.replaceChildren();
  } else {
    title.textContent = active.campaign_name;
    byId("campaign-empty").replaceChildren();
    byId("campaign-meta").textContent = `${kit.say("dashboard.meta", { campaign: active.campaign_id, id: active.import_id, time: kit.dateTime(active.activated_at) })} · ${kit.say("dashboard.slots", { slots: active.audio_slots.join(", ") || kit.say("dashboard.noSlots") })}`;
    const fallback = fallbackPromptOf(kit, summary, active.import_id);
    const figure = (value: string, caption: string, name?: string) => element("figure", { "data-figure": name }, element("b", { text: value }), element("figcaption", { text: caption }));
    figures.replaceChildren(
      figure(kit.number(active.leads), kit.say("report.leads"), "leads"),
      figure(kit.number(active.audio_files), kit.say("report.audioFiles", { size: kit.bytes(active.audio_bytes) }), "audio"),
      figure(kit.duration(active.audio_duration_ms), kit.say("report.ofAudio")),
      figure(fallback ?? kit.say("dashboard.fallbackSilence"), kit.say("dashboard.fallback"), "fallback"),
    );
  }
  byId("previous").textContent = previous
    ? kit.say("dashboard.previous", { name: previous.campaign_name ?? previous.campaign_id ?? "", id: previous.import_id, count: previous.lead_count ?? 0 })
    : kit.say("dashboard.noPrevious");
  rollback.hidden = !previous || !active;
  if (previous) rollback.textContent = kit.say("dashboard.rollback", { name: previous.campaign_name ?? previous.campaign_id ?? "", id: previous.import_id });
  const note = byId("running");
  if (running) {
    showMessage(
      note,
      "info",
      kit.say("dashboard.running", { id: running.id, file: running.file_name, phase: phaseName(kit, running.phase) }),
      element("a", { href: "/importer", text: kit.say("dashboard.runningLink") }),
    );
    runningTimer = setTimeout(() => void refreshAll(false), 2000);
  } else {
    clearMessage(note);
  }
}

function player(lead: Lead, slot: Lead["audio"][number]): HTMLElement {
  const duration = kit.duration(slot.duration_ms);
  if (!slot.url) return element("div", { class: "slot" }, element("small", { text: `${slot.slot}: ${kit.say("dashboard.noAudio")}` }));
  return element(
    "div",
    { class: "slot" },
    element("small", { text: `${slot.slot} · ${duration}` }),
    element("audio", { controls: true, preload: "metadata", src: slot.url, "data-slot": slot.slot, "aria-label": kit.say("dashboard.player", { slot: slot.slot, lead: String(lead.lead_id), duration }) }),
  );
}

function showLead(lead: Lead): void {
  const rows: Array<[string, string]> = [
    ["lead_id", String(lead.lead_id)],
    [kit.say("dashboard.row"), String(lead.row)],
    ["phone_number", lead.phone_number],
    ...Object.entries(lead.fields),
    ...lead.audio.map((slot): [string, string] => [`audio_${slot.slot}`, slot.path ?? kit.say("dashboard.noAudio")]),
  ];
  showDialog(kit, kit.say("dashboard.fieldsTitle", { lead: String(lead.lead_id) }), [
    element("dl", { "data-lead-fields": String(lead.lead_id) }, ...rows.flatMap(([name, value]) => [element("dt", { text: name }), element("dd", { text: value || kit.say("kit.none") })])),
  ]);
}

async function loadLeads(scroll: boolean): Promise<void> {
  const result = await api<{ total: number; leads: Lead[] }>(kit, `/operator/api/leads?q=${encodeURIComponent(query)}&page=${page}&per_page=${perPage}`);
  const body = byId("leads");
  if (result.leads.length === 0) {
    const empty = query ? emptyState(kit.say("dashboard.noMatch", { query }), kit.say("dashboard.noMatchText")) : emptyState(kit.say("dashboard.noLeads"), kit.say("dashboard.noLeadsText"), { href: "/importer", label: kit.say("dashboard.openImporter") });
    body.replaceChildren(element("tr", {}, element("td", { colspan: "6", "data-label": "" }, empty)));
  } else {
    body.replaceChildren(
      ...result.leads.map((lead) => {
        const details = element("button", { type: "button", class: "plain", "aria-label": kit.say("dashboard.fieldsOf", { lead: String(lead.lead_id) }), text: kit.say("dashboard.fields") });
        details.addEventListener("click", () => showLead(lead));
        return tableRow({ "data-lead-id": String(lead.lead_id) }, [
          { label: kit.say("column.lead"), content: String(lead.lead_id) },
          { label: kit.say("column.vendorCode"), content: lead.vendor_lead_code || kit.say("kit.none") },
          { label: kit.say("column.phone"), content: lead.phone_number },
          { label: kit.say("column.name"), content: `${lead.first_name} ${lead.last_name}`.trim() || kit.say("kit.none") },
          { label: kit.say("column.audio"), content: element("div", { class: "slots" }, ...lead.audio.map((slot) => player(lead, slot))) },
          { label: "", content: details },
        ]);
      }),
    );
  }
  const pages = Math.max(1, Math.ceil(result.total / perPage));
  byId("lead-count").textContent = query ? kit.say("dashboard.leadCountMatching", { count: result.total, query }) : kit.say("dashboard.leadCount", { count: result.total });
  byId("page-text").textContent = kit.say("kit.pageOf", { page, pages });
  byId<HTMLButtonElement>("previous-page").disabled = page <= 1;
  byId<HTMLButtonElement>("next-page").disabled = page >= pages;
  if (scroll) byId("leads-card").scrollIntoView({ block: "start" });
}

async function openReport(importId: number): Promise<void> {
  const record = await api<ImportRecord>(kit, `/operator/api/imports/${importId}`);
  if (record.report && summary) renderReport(kit, byId("report"), record.report, { fallback: fallbackPromptOf(kit, summary, importId), focus: true });
}

async function loadHistory(): Promise<void> {
  const history = await api<{ imports: ImportRecord[]; rollbacks?: RollbackRecord[] }>(kit, "/operator/api/imports?limit=20");
  renderHistory(kit, byId("history"), history, (id) => void openReport(id), 6);
}

async function refreshAll(leads: boolean): Promise<void> {
  await Promise.all([loadSummary(), leads ? loadLeads(false) : null, loadHistory()]);
}

byId("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  query = byId<HTMLInputElement>("search").value.trim();
  page = 1;
  void loadLeads(false);
});
byId("previous-page").addEventListener("click", () => {
  page = Math.max(1, page - 1);
  void loadLeads(true);
});
byId("next-page").addEventListener("click", () => {
  page += 1;
  void loadLeads(true);
});
byId("rollback").addEventListener("click", async () => {
  const previous = summary?.previous;
  const active = summary?.active;
  if (!previous || !active) return;
  const name = previous.campaign_name ?? previous.campaign_id ?? "";
  const confirmed = await confirmAction(kit, {
    title: kit.say("dashboard.rollbackTitle", { name }),
    body: [element("p", { text: kit.say("dashboard.rollbackBody", { name, campaign: previous.campaign_id ?? "", id: previous.import_id, current: active.campaign_name }) })],
    confirm: kit.say("dashboard.rollbackConfirm"),
    danger: true,
  });
  if (!confirmed) return;
  const message = byId("rollback-message");
  try {
    const result = await api<{ active_import_id: number }>(kit, "/operator/api/rollback", { method: "POST" });
    showMessage(message, "ok", kit.say("dashboard.rolledBack", { id: result.active_import_id }));
  } catch (error) {
    showMessage(message, "bad", kit.say("dashboard.rollbackFailed"), (error as Error).message);
  }
  page = 1;
  await refreshAll(true);
});

void refreshAll(true);
