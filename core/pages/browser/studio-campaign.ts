import { ApiError, badge, element, type PageKit, type ProgressBar, type Tone } from "../../../shared/pages/browser/page-kit.ts";
import type { PhraseValues } from "../../../shared/pages/words.ts";
import { dashboardApi } from "./admin-token.ts";

/** The studio campaign as the API shows it (GET /api/v1/studio/campaigns/{id}). */
export interface StudioCampaignView {
  id: string;
  name: string;
  language: "ru" | "en";
  voice: string | null;
  state: "draft" | "generating" | "ready" | "failed";
  slots: Record<string, string>;
  rephrase: boolean;
  columns: string[];
  progress: { leads_total: number; leads_done: number; leads_failed: number; failures: Array<{ lead_id: number; code: string | null; reason: string }> };
}

export interface StudioLeadView {
  lead_id: number;
  row_number: number;
  phone_number: string;
  vendor_lead_code: string;
  fields: Record<string, string>;
  state: "pending" | "done" | "failed";
  failure: string | null;
  failure_code: string | null;
  texts: Record<string, string>;
  lines: Array<{ slot: string; text: string; source: "template" | "rephrased" | "edited"; audio_url: string | null }>;
}

/** The campaign id of a page at /studio/{id}[/review]. */
export function campaignIdOfPage(): string {
  return decodeURIComponent(location.pathname.split("/")[2] ?? "");
}

export function campaignPath(id: string): string {
  return `/api/v1/studio/campaigns/${encodeURIComponent(id)}`;
}

const stateTones: Record<string, Tone> = { draft: "neutral", generating: "info", ready: "ok", failed: "bad", pending: "info", done: "ok" };

export function campaignStateBadge(kit: PageKit<unknown>, state: string): HTMLSpanElement {
  return badge(kit.say(`state.${state}`), stateTones[state] ?? "neutral", state);
}

export function leadStateBadge(kit: PageKit<unknown>, state: string): HTMLSpanElement {
  return badge(kit.say(`leadState.${state}`), stateTones[state] ?? "neutral", state);
}

/** The API's refusal in the page's words where the studio knows the code, else the server's own message. */
export function studioErrorText(kit: PageKit<unknown>, error: unknown): string | HTMLElement {
  if (!(error instanceof ApiError)) return (error as Error).message;
  if (error.code === "studio.admin_required") return kit.say("error.readOnly");
  if (error.code === "studio.campaign_generating") return kit.say("error.generating");
  if (error.code === "studio.no_script") return kit.say("generate.noScript");
  if (error.code === "studio.no_leads") return kit.say("generate.noLeads");
  return reasonText(kit, error.code, error.message);
}

/**
 * A server's reason in the page's words, found by its code (`reason.{code}`), with the server's own
 * words behind Details; a reason whose code the page does not know is shown as the server wrote it.
 */
export function reasonText(kit: PageKit<unknown>, code: string | null, detail: string, values: PhraseValues = {}): HTMLSpanElement {
  const key = `reason.${code}`;
  if (!hasReason(kit, code)) return element("span", { class: "reason", "data-code": code, text: detail });
  return element("span", { class: "reason", "data-code": code }, kit.say(key, values), element("details", {}, element("summary", { text: kit.say("kit.details") }), element("p", {}, element("code", { text: code }), " ", detail)));
}

/** Whether the page has its own words for a server's code. */
export function hasReason(kit: PageKit<unknown>, code: string | null | undefined): code is string {
  return typeof code === "string" && kit.say(`reason.${code}`) !== `reason.${code}`;
}

/** Why a lead was not spoken, in the page's words; the fields a lead lacks are read from the server's "greeting needs first_name". */
export function leadFailureText(kit: PageKit<unknown>, code: string | null, reason: string): HTMLSpanElement {
  const fields = [...reason.matchAll(/(\S+) needs ([a-z0-9_]+)/g)].map((match) => `${match[2]} (${match[1]})`).join(", ");
  // The reason starts with its code ("tts.timeout: …"), which Details shows apart.
  const detail = code !== null && reason.startsWith(`${code}: `) ? reason.slice(code.length + 2) : reason;
  return reasonText(kit, code, detail, { fields });
}

/** Shows the campaign's generation on a progress bar: leads done of all, failures counted. */
export function showGeneration(kit: PageKit<unknown>, bar: ProgressBar, campaign: StudioCampaignView): void {
  const { leads_total: total, leads_done: done, leads_failed: failed } = campaign.progress;
  const detail = kit.say("generate.detail", { done, total, failed });
  if (campaign.state === "draft" || total === 0) {
    bar.hide();
    return;
  }
  bar.show();
  if (campaign.state === "generating") bar.set(total === 0 ? 0 : (done + failed) / total, kit.say("generate.progress"), detail);
  else if (campaign.state === "ready") bar.finish("ok", kit.say("generate.ready"), detail);
  else bar.finish("bad", kit.say("generate.failed"), detail);
}

/**
 * Reads the campaign again every second while it is generating; `onChange` sees each reading and
 * the last one, once it has settled.
 */
export function watchCampaign(kit: PageKit<unknown>, id: string, onChange: (campaign: StudioCampaignView) => void, onError: (error: unknown) => void): { poll(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const poll = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    dashboardApi<StudioCampaignView>(kit, campaignPath(id))
      .then((campaign) => {
        onChange(campaign);
        if (campaign.state === "generating") timer = setTimeout(poll, 1000);
      })
      .catch(onError);
  };
  return { poll };
}

/** A lead's name for people: its first and last name when the leads file has them, else its phone. */
export function leadLabel(lead: Pick<StudioLeadView, "fields" | "phone_number">): string {
  const name = [lead.fields.first_name, lead.fields.last_name].filter((part) => part && part.trim() !== "").join(" ");
  return name ? `${name} · ${lead.phone_number}` : lead.phone_number;
}

export function problemList(items: Array<{ title: string; text: string | HTMLElement }>): HTMLUListElement {
  return element("ul", { class: "problems" }, ...items.map((item) => element("li", {}, element("b", { text: item.title }), " ", item.text)));
}
