import { z } from "zod";

/**
 * Core → browser: the Twilio dialer's events on the campaign socket `/ws/{campaign_id}` (seed 003's
 * real-time campaign updates). A socket gets `dialer_snapshot` on connect, then each change as it
 * happens; the agent console keeps its queue and the call's state from these alone.
 */
export const dialerCallView = z.object({
  call_id: z.string(),
  call_sid: z.string().nullable(),
  position: z.number().int(),
  phone_number: z.string(),
  state: z.enum(["placing", "placed", "ringing", "answered", "queued", "human", "machine", "unknown", "bridged", "ended"]),
  answered_by: z.string().nullable(),
  agent: z.string().nullable(),
  reason: z.string().nullable(),
  disposition: z.string().nullable(),
  /** When the customer began waiting for an agent (ms since the epoch); null unless waiting. */
  waiting_since: z.number().nullable(),
});
export type DialerCallView = z.infer<typeof dialerCallView>;

export const dialerCampaignView = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(["ready", "dialing", "ended"]),
  studio_campaign_id: z.string().nullable(),
  tenant_id: z.string().nullable(),
  lines_per_agent: z.number().int(),
  machine_policy: z.enum(["hangup", "voicemail"]),
  unknown_policy: z.enum(["connect", "hangup"]),
  wait_limit_seconds: z.number().int(),
  leads: z.object({ total: z.number().int(), pending: z.number().int() }),
  calls: z.object({ by_state: z.record(z.string(), z.number()), by_reason: z.record(z.string(), z.number()) }),
  abandon: z.object({ humans: z.number().int(), abandoned: z.number().int(), rate: z.number() }),
  agents: z.array(z.object({ identity: z.string(), state: z.enum(["available", "busy", "away"]), call_id: z.string().nullable() })),
  live_calls: z.array(dialerCallView),
});
export type DialerCampaignView = z.infer<typeof dialerCampaignView>;

const base = { campaign_id: z.string() };
export const dialerEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("dialer_snapshot"), ...base, campaign: dialerCampaignView }),
  z.object({ type: z.literal("call_queued"), ...base, call: dialerCallView }),
  z.object({ type: z.literal("detection_result"), ...base, call_id: z.string(), answered_by: z.string(), verdict: z.enum(["human", "machine", "unknown"]), source: z.enum(["amd", "timeout"]) }),
  z.object({ type: z.literal("call_connected"), ...base, call_id: z.string(), agent: z.string().nullable(), call: dialerCallView }),
  z.object({ type: z.literal("call_ended"), ...base, call_id: z.string(), reason: z.string().nullable(), call: dialerCallView }),
  z.object({ type: z.literal("disposition_saved"), ...base, call_id: z.string(), disposition: z.string().nullable() }),
  z.object({ type: z.literal("agent_joined"), ...base, agent: z.string() }),
  z.object({ type: z.literal("agent_left"), ...base, agent: z.string() }),
  z.object({ type: z.literal("lines_lowered"), ...base, lines_per_agent: z.number().int(), abandon_rate: z.number() }),
  z.object({ type: z.literal("campaign_ended"), ...base }),
]);
export type DialerEvent = z.infer<typeof dialerEvent>;
