import { audioRelativePath, ulawSiblingPath } from "../../shared/contracts/campaign-package.ts";
import type { CampaignSnapshot, ServedLead } from "../campaigns/campaign-snapshot.ts";
import type { LeadTable } from "../campaigns/lead-table.ts";

/**
 * How a lead is answered to the dialer: JSON for URL hooks and scripts, or `key=value` lines for
 * AGI scripts. Audio comes as URLs (Asterisk 14+ plays them over HTTP) and as local file paths
 * without extension (what Playback() takes on older Asterisk, which needs files on disk).
 */
export interface AnswerContext {
  baseUrl: string;
  /** Rendered JSON per record of a lead table, which lives exactly as long as its table. */
  jsonCache: WeakMap<LeadTable, Map<number, string>>;
}

interface SlotAnswer {
  url: string;
  ulaw_url: string | null;
  file: string | null;
  duration_ms: number | null;
  default_prompt: boolean;
}

/** The JSON answer for a record of the snapshot's lead table, rendered once per lead. */
export function leadJson(snapshot: CampaignSnapshot, record: number, context: AnswerContext): string {
  let rendered = context.jsonCache.get(snapshot.leads);
  if (rendered === undefined) context.jsonCache.set(snapshot.leads, (rendered = new Map()));
  const cached = rendered.get(record);
  if (cached !== undefined) return cached;
  const lead = snapshot.leads.at(record);
  const body: Record<string, unknown> = { lead_id: lead.leadId, vendor_lead_code: lead.vendorLeadCode, phone_number: lead.phoneNumber };
  for (const [column, value] of Object.entries(lead.fields)) if (column !== "vendor_lead_code") body[column] = value;
  const audio: Record<string, SlotAnswer> = {};
  for (const slot of snapshot.audioSlots) audio[slot] = slotAnswer(snapshot, lead.audio[slot] ?? "", context);
  const first = snapshot.audioSlots[0];
  body.audio_url = first ? audio[first]!.url : null;
  body.audio = audio;
  body.campaign = { id: snapshot.campaignId, name: snapshot.campaignName, import_id: snapshot.importId };
  const json = JSON.stringify(body);
  rendered.set(record, json);
  return json;
}

/** The same answer as `key=value` lines (line breaks inside values become spaces). */
export function leadText(snapshot: CampaignSnapshot, lead: ServedLead, context: AnswerContext, extra: Record<string, string | number> = {}): string {
  const lines: string[] = ["found=1", `lead_id=${lead.leadId}`, `vendor_lead_code=${clean(lead.vendorLeadCode)}`, `phone_number=${lead.phoneNumber}`];
  for (const [column, value] of Object.entries(lead.fields)) if (column !== "vendor_lead_code") lines.push(`${column}=${clean(value)}`);
  snapshot.audioSlots.forEach((slot, index) => {
    const answer = slotAnswer(snapshot, lead.audio[slot] ?? "", context);
    if (index === 0) lines.push(`audio_url=${answer.url}`);
    lines.push(`audio_${slot}_url=${answer.url}`);
    if (answer.ulaw_url) lines.push(`audio_${slot}_ulaw_url=${answer.ulaw_url}`);
    lines.push(`audio_${slot}_file=${answer.file ?? ""}`);
    lines.push(`audio_${slot}_default_prompt=${answer.default_prompt ? 1 : 0}`);
  });
  lines.push(`campaign_id=${snapshot.campaignId}`, `campaign_name=${clean(snapshot.campaignName)}`, `import_id=${snapshot.importId}`);
  for (const [key, value] of Object.entries(extra)) lines.push(`${key}=${value}`);
  return `${lines.join("\n")}\n`;
}

function slotAnswer(snapshot: CampaignSnapshot, path: string, context: AnswerContext): SlotAnswer {
  const file = path === "" ? undefined : snapshot.audio.get(path);
  if (file) {
    const ulawPath = ulawSiblingPath(path);
    const ulaw = snapshot.audio.get(ulawPath);
    return {
      url: `${context.baseUrl}/audio/${snapshot.importId}/${audioRelativePath(path)}`,
      ulaw_url: ulaw ? `${context.baseUrl}/audio/${snapshot.importId}/${audioRelativePath(ulawPath)}` : null,
      file: file.diskPath.replace(/\.wav$/, ""),
      duration_ms: file.durationMs,
      default_prompt: false,
    };
  }
  const fallback = snapshot.defaultAudio;
  return {
    url: `${context.baseUrl}/audio/default.wav`,
    ulaw_url: `${context.baseUrl}/audio/default.ulaw`,
    file: fallback ? fallback.diskPath.replace(/\.wav$/, "") : null,
    duration_ms: fallback?.durationMs ?? null,
    default_prompt: true,
  };
}

function clean(value: string): string {
  return value.replace(/[\r\n]+/g, " ");
}
