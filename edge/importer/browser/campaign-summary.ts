import type { PageKit } from "../../../shared/pages/browser/page-kit.ts";
import type { ImportRecord } from "./import-view.ts";

/** GET /operator/api/campaign: what is live, what is kept for rollback, what is running. */
export interface CampaignSummary {
  active: {
    import_id: number;
    campaign_id: string;
    campaign_name: string;
    activated_at: string;
    leads: number;
    audio_files: number;
    audio_bytes: number;
    audio_duration_ms: number;
    audio_slots: string[];
    default_audio: string | null;
  } | null;
  previous: { import_id: number; campaign_id: string | null; campaign_name: string | null; lead_count: number | null } | null;
  running: ImportRecord | null;
  default_prompt: string;
}

/** What a lead without audio hears in `importId`'s campaign; null means one second of silence. */
export function fallbackPromptOf(kit: PageKit<unknown>, summary: CampaignSummary, importId: number): string | null {
  if (summary.active?.import_id === importId && summary.active.default_audio) return `${kit.say("dashboard.fallbackOwn")}: ${summary.active.default_audio}`;
  if (summary.default_prompt.startsWith("built-in")) return null;
  return `${kit.say("dashboard.fallbackEdge")}: ${summary.default_prompt}`;
}
