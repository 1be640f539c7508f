import { parseTemplate } from "../studio/script-template.ts";
import { badge, byId, element, emptyState, progressBar, showDialog, showMessage } from "../../shared/pages/browser/page-kit.ts";
import { dashboardApi, dashboardFileUrl, startDashboardPage, storedAdminToken } from "./browser/admin-token.ts";
import { campaignIdOfPage, campaignPath, campaignStateBadge, leadFailureText, leadLabel, leadStateBadge, type StudioCampaignView, type StudioLeadView, showGeneration, studioErrorText, watchCampaign } from "./browser/studio-campaign.ts";

const kit = startDashboardPage();
const id = campaignIdOfPage();
const path = campaignPath(id);
const params = new URLSearchParams(location.search);
const cursor = params.get("cursor");
const pageSize = 20;
const generation = progressBar("generation");
const message = byId("review-message");
let campaign: StudioCampaignView | null = null;
/** The leads whose new audio the page waits for. */
const waitingFor = new Set<number>();

const sourceTones = { template: "neutral", rephrased: "info", edited: "warn" } as const;

const watcher = watchCampaign(
  kit,
  id,
  (next) => {
    showCampaign(next);
    if (next.state !== "generating" && waitingFor.size > 0) {
      const leads = [...waitingFor];
      waitingFor.clear();
      for (const leadId of leads) void reloadLead(leadId);
    }
  },
  (error) => showMessage(message, "bad", kit.say("kit.requestFailed", { status: "" }), studioErrorText(kit, error)),
);

function showCampaign(next: StudioCampaignView): void {
  campaign = next;
  document.title = `${kit.say("review.heading", { name: next.name })} · ${kit.say("product")}`;
  byId("review-heading").textContent = kit.say("review.heading", { name: next.name });
  byId("campaign-state").replaceChildren(campaignStateBadge(kit, next.state));
  byId<HTMLAnchorElement>("campaign-link").href = `/studio/${encodeURIComponent(next.id)}`;
  showGeneration(kit, generation, next);
  const busy = next.state === "generating";
  for (const button of document.querySelectorAll<HTMLButtonElement>("#lead-list button")) button.disabled = busy;
}

async function playerFor(url: string, label: string): Promise<HTMLAudioElement> {
  const player = element("audio", { controls: true, preload: "metadata", "aria-label": label });
  // With the token the clip comes through fetch (a player cannot carry the header).
  player.src = storedAdminToken() ? await dashboardFileUrl(url) : url;
  return player;
}

async function leadContent(lead: StudioLeadView): Promise<HTMLElement[]> {
  const heading = element("h3", { id: `lead-${lead.lead_id}-heading`, tabindex: -1 }, kit.say("review.lead", { lead: String(lead.lead_id) }), " ", element("span", { class: "muted", text: leadLabel(lead) }), " ", leadStateBadge(kit, lead.state));
  const slots = Object.keys(campaign?.slots ?? {});
  const lines = await Promise.all(
    slots.map(async (slot) => {
      const line = lead.lines.find((candidate) => candidate.slot === slot);
      const written = lead.texts[slot];
      const edit = element("button", { type: "button", class: "plain", "data-edit": slot, "aria-label": kit.say("review.editLabel", { slot, lead: String(lead.lead_id) }), text: kit.say("review.edit") });
      edit.addEventListener("click", () => openEditor(lead, slot, line?.text ?? written ?? draftOf(lead, slot)));
      return element(
        "div",
        { class: "slot-line", "data-slot": slot },
        element("div", { class: "slot-head" }, element("b", { text: slot }), line ? badge(kit.say(`source.${line.source}`), sourceTones[line.source], line.source) : null),
        element("p", { class: line ? "slot-words" : "slot-words muted", text: line?.text ?? written ?? kit.say("review.notGenerated") }),
        line?.audio_url ? await playerFor(line.audio_url, kit.say("review.audio", { slot, lead: String(lead.lead_id) })) : null,
        element("p", {}, edit),
      );
    }),
  );
  const regenerate = element("button", { type: "button", class: "plain", "data-regenerate": "", "aria-label": kit.say("review.regenerateLabel", { lead: String(lead.lead_id) }), text: kit.say("review.regenerate") });
  regenerate.addEventListener("click", () => void change(lead.lead_id, `${path}/leads/${lead.lead_id}/regenerate`, { method: "POST" }));
  const busy = campaign?.state === "generating";
  for (const button of [regenerate, ...lines.flatMap((line) => [...line.querySelectorAll("button")])]) button.disabled = busy;
  const parts: HTMLElement[] = [heading];
  if (lead.failure) parts.push(element("div", { class: "bad-text", "data-failure": "" }, leadFailureText(kit, lead.failure_code, lead.failure)));
  parts.push(element("div", { class: "slot-lines" }, ...lines), element("p", {}, regenerate));
  return parts;
}

async function showLead(lead: StudioLeadView): Promise<void> {
  const content = await leadContent(lead);
  const existing = document.querySelector<HTMLLIElement>(`#lead-list li[data-lead-id="${lead.lead_id}"]`);
  if (existing) {
    existing.dataset.state = lead.state;
    existing.replaceChildren(...content);
  } else byId("lead-list").append(element("li", { class: "lead-block", "data-lead-id": lead.lead_id, "data-state": lead.state }, ...content));
}

async function reloadLead(leadId: number): Promise<void> {
  const { leads } = await dashboardApi<{ leads: StudioLeadView[] }>(kit, `${path}/leads?cursor=${leadId - 1}&limit=1`);
  if (leads[0]?.lead_id === leadId) await showLead(leads[0]);
}

/** Sends a change of one lead, then shows it waiting and follows the campaign until it is spoken. */
async function change(leadId: number, url: string, init: RequestInit): Promise<boolean> {
  try {
    const lead = await dashboardApi<StudioLeadView>(kit, url, init);
    waitingFor.add(leadId);
    await showLead(lead);
    showMessage(message, "info", kit.say("review.queued", { lead: String(leadId) }));
    byId(`lead-${leadId}-heading`).focus();
    watcher.poll();
    return true;
  } catch (error) {
    showMessage(message, "bad", kit.say("review.refused", { lead: String(leadId) }), studioErrorText(kit, error));
    return false;
  }
}

/** The script's words for a lead that has none yet: its values filled in, a missing one left as {field} to replace. */
function draftOf(lead: StudioLeadView, slot: string): string {
  const values: Record<string, string> = { ...lead.fields, lead_id: String(lead.lead_id), phone_number: lead.phone_number };
  return parseTemplate(campaign?.slots[slot] ?? "")
    .map((part) => ("text" in part ? part.text : values[part.field]?.trim() || `{${part.field}}`))
    .join("");
}

function openEditor(lead: StudioLeadView, slot: string, text: string): void {
  const field = element("textarea", { id: "edit-text", rows: 4, maxlength: 2000, "aria-describedby": "edit-hint" });
  field.value = text;
  const problem = element("div", { id: "edit-problem", class: "message", role: "alert" });
  const save = element("button", { type: "submit", class: "primary", id: "edit-save", text: kit.say("review.save") });
  const useScript = lead.texts[slot] !== undefined ? element("button", { type: "button", class: "plain", id: "edit-use-script", text: kit.say("review.useScript") }) : null;
  const form = element("form", { novalidate: true }, element("label", { for: "edit-text", text: kit.say("review.editText") }), field, element("p", { class: "hint", id: "edit-hint", text: kit.say("review.editHint") }), problem, element("p", { class: "row" }, save, useScript));
  const dialog = showDialog(kit, kit.say("review.editTitle", { slot, lead: String(lead.lead_id) }), [form]);
  const send = async (value: string | null) => {
    if (await change(lead.lead_id, `${path}/leads/${lead.lead_id}/texts`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ texts: { [slot]: value } }) })) {
      dialog.close();
      byId(`lead-${lead.lead_id}-heading`).focus();
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (field.value.trim() === "") {
      showMessage(problem, "bad", kit.say("review.textEmpty"));
      field.focus();
      return;
    }
    const left = parseTemplate(field.value).find((part) => "field" in part);
    if (left && "field" in left) {
      showMessage(problem, "bad", kit.say("review.placeholderLeft", { field: `{${left.field}}` }));
      field.focus();
      return;
    }
    void send(field.value);
  });
  useScript?.addEventListener("click", () => void send(null));
  field.focus();
}

async function load(): Promise<void> {
  showCampaign(await dashboardApi<StudioCampaignView>(kit, path));
  const page = await dashboardApi<{ leads: StudioLeadView[]; next_cursor: string | null }>(kit, `${path}/leads?limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
  for (const lead of page.leads) await showLead(lead);
  if (page.leads.length === 0) byId("lead-list").replaceWith(emptyState(kit.say("review.none"), kit.say("review.noneText"), { href: `/studio/${encodeURIComponent(id)}`, label: kit.say("review.back") }));
  if (page.next_cursor) {
    const next = byId<HTMLAnchorElement>("next-page");
    next.href = `?cursor=${encodeURIComponent(page.next_cursor)}`;
    next.hidden = false;
  }
  if (cursor) {
    const first = byId<HTMLAnchorElement>("first-page");
    first.href = location.pathname;
    first.hidden = false;
  }
  if (campaign?.state === "generating") {
    for (const lead of page.leads) waitingFor.add(lead.lead_id);
    watcher.poll();
  }
  document.body.dataset.loaded = "true";
}

load().catch((error: unknown) => showMessage(message, "bad", kit.say("kit.requestFailed", { status: "" }), studioErrorText(kit, error)));
