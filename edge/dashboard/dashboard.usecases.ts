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
  const matches = needle === "" ? null : snapshot.leads.search(needle, digits);
  const total = matches?.length ?? snapshot.leads.length;
  const start = (search.page - 1) * search.perPage;
  const records: number[] = [];
  for (let index = start; index < Math.min(total, start + search.perPage); index++) records.push(matches ? matches[index]! : index);
  return {
    total,
    page: search.page,
    per_page: search.perPage,
    leads: records.map((record) => leadSummary(snapshot, snapshot.leads.at(record))),
  };
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
