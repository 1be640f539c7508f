import { audioRelativePath, phoneDigits } from "../../shared/contracts/campaign-package.ts";
import type { CampaignSnapshot, ServedCampaigns, ServedLead } from "../campaigns/campaign-snapshot.ts";

/** What the preview dashboard shows, read from the same snapshot the dialer is served from. */

export interface LeadSearch {
  query: string;
  page: number;
  perPage: number;
}

export interface LeadPage {
  total: number;
  page: number;
  per_page: number;
  leads: Array<Record<string, unknown>>;
}

/** Matches lead id, vendor code, phone digits and names; an empty query lists every lead in package order. */
export function searchLeads(snapshot: CampaignSnapshot, search: LeadSearch): LeadPage {
  const needle = search.query.trim().toLowerCase();
  const digits = phoneDigits(needle);
  const matches = needle === "" ? snapshot.leads : snapshot.leads.filter((lead) => leadMatches(lead, needle, digits));
  const start = (search.page - 1) * search.perPage;
  return {
    total: matches.length,
    page: search.page,
    per_page: search.perPage,
    leads: matches.slice(start, start + search.perPage).map((lead) => leadSummary(snapshot, lead)),
  };
}

function leadMatches(lead: ServedLead, needle: string, digits: string): boolean {
  if (String(lead.leadId) === needle) return true;
  if (/^\d{3,}$/.test(digits) && lead.phoneNumber.includes(digits)) return true;
  if (lead.vendorLeadCode.toLowerCase().includes(needle)) return true;
  const name = `${lead.fields.first_name ?? ""} ${lead.fields.last_name ?? ""}`.toLowerCase();
  return name.includes(needle);
}

function leadSummary(snapshot: CampaignSnapshot, lead: ServedLead): Record<string, unknown> {
  return {
    lead_id: lead.leadId,
    row: lead.rowNumber,
    vendor_lead_code: lead.vendorLeadCode,
    phone_number: lead.phoneNumber,
    first_name: lead.fields.first_name ?? "",
    last_name: lead.fields.last_name ?? "",
    fields: lead.fields,
    audio: snapshot.audioSlots.map((slot) => {
      const path = lead.audio[slot] ?? "";
      const file = path ? snapshot.audio.get(path) : undefined;
      return {
        slot,
        path: path || null,
        url: file ? `/operator/audio/${snapshot.importId}/${audioRelativePath(path)}` : null,
        duration_ms: file?.durationMs ?? null,
      };
    }),
  };
}

export function campaignSummary(served: ServedCampaigns): Record<string, unknown> {
  const snapshot = served.active;
  if (!snapshot) return { active: null, previous_import_id: served.previousImportId };
  return {
    active: {
      import_id: snapshot.importId,
      campaign_id: snapshot.campaignId,
      campaign_name: snapshot.campaignName,
      imported_at: new Date(snapshot.importedAt).toISOString(),
      activated_at: new Date(snapshot.activatedAt).toISOString(),
      leads: snapshot.leads.length,
      audio_files: snapshot.audio.size,
      audio_bytes: snapshot.audioBytes,
      audio_duration_ms: snapshot.audioDurationMs,
      audio_slots: snapshot.audioSlots,
      default_audio: snapshot.defaultAudio?.path ?? null,
    },
    previous_import_id: served.previousImportId,
  };
}
