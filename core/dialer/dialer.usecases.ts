import { randomBytes, randomUUID } from "node:crypto";
import { AppError, badRequest, conflict, notFound } from "../../shared/http/app-error.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { type BackgroundLoop, startBackgroundLoop } from "../../shared/runtime/background-loop.ts";
import type { DialerCallView, DialerCampaignView, DialerEvent } from "../../shared/contracts/dialer-events.ts";
import type { KeyedMutex } from "../ingest/keyed-mutex.ts";
import type { DialerCall, DialerCallChanges, DialerCampaign, DialerRepository } from "./dialer.repository.ts";
import { createRetryDelayMs, type TwilioRestClient, type TwilioRestFailure } from "./twilio-rest-client.ts";
import { agentConferenceTwiml, apologyTwiml, conferenceNameOf, customerConferenceTwiml, hangupTwiml, holdMusicTwiml, requiredParam, voicemailTwiml, type WebhookParams } from "./twilio-webhooks.ts";

/** The abandon rule: answered humans who reach no agent stay under this share of answered humans. */
export const maxAbandonRate = 0.03;
/** An AMD verdict later than MachineDetectionTimeout plus this is settled as `unknown`. */
export const verdictMarginMs = 5_000;
const createAttempts = 5;
/** A hang-up (or apology, or voicemail) that failed is tried again as a hang-up this long after. */
const undeliveredEndRetryMs = 10_000;
const apology = "We are sorry, all of our agents are busy. We will call you back.";

export interface DialerSettings {
  accountSid: string;
  authToken: string;
  baseUrl: string;
  /** TWILIO_PHONE_NUMBER: the caller ID when no DID pool gives one. */
  callerId: string;
  machineDetectionTimeoutSeconds: number;
  /** A recorded call not known to Twilio this long after it was recorded, and not being placed here, is reconciled and placed. */
  strandedPlacementMs: number;
  /** For Voice access tokens; the console's token request is refused without them. */
  apiKey: string | undefined;
  apiSecret: string | undefined;
  twimlAppSid: string | undefined;
}

export type { DialerEvent } from "../../shared/contracts/dialer-events.ts";

export interface DialerDeps {
  dialer: DialerRepository;
  clock: Clock;
  logger: Logger;
  settings: DialerSettings;
  twilio: TwilioRestClient;
  publish(event: DialerEvent): void;
  /** Writes the finished (or re-dispositioned) call into the tenant's call results. */
  recordResult(campaign: DialerCampaign, call: DialerCall): Promise<void>;
  /** The caller ID for this call: the tenant's DID selection when it has a pool, TWILIO_PHONE_NUMBER otherwise. */
  chooseCallerId(campaign: DialerCampaign, phoneNumber: string, callId: string): Promise<string>;
  /** The studio lead's spoken `voicemail` line as a file, when there is one. */
  voicemailFileOf(campaign: DialerCampaign, position: number): Promise<string | null>;
  /** State changes of one campaign's calls and agents run one at a time. */
  lock: KeyedMutex;
  /** Calls this process is placing right now (the settlement loop leaves them alone). */
  placing: Set<string>;
}

export interface NewDialerCampaign {
  name: string;
  contacts?: Array<{ phone_number: string; name?: string | null }>;
  campaign_id?: string;
  tenant_id?: string | null;
  lines_per_agent: number;
  machine_policy: DialerCampaign["machinePolicy"];
  unknown_policy: DialerCampaign["unknownPolicy"];
  wait_limit_seconds: number;
}

const terminalStatuses = new Set(["completed", "busy", "no-answer", "failed", "canceled"]);
const webhookPaths = { queue: "/api/voice/customer-queue", amd: "/api/voice/amd-status", join: "/api/voice/customer-join-conference", status: "/api/voice/status" };

export function verdictOf(answeredBy: string): "human" | "machine" | "unknown" {
  if (answeredBy === "human") return "human";
  if (answeredBy.startsWith("machine") || answeredBy === "fax") return "machine";
  return "unknown";
}

function campaignIdOfNew(): string {
  return `tw-${randomBytes(6).toString("hex")}`;
}

export async function requireCampaign(deps: Pick<DialerDeps, "dialer">, id: string): Promise<DialerCampaign> {
  const campaign = await deps.dialer.findCampaign(id);
  if (!campaign) throw notFound("campaign.not_found", `no dialer campaign ${id}`);
  return campaign;
}

export async function createDialerCampaign(
  deps: Pick<DialerDeps, "dialer" | "clock">,
  input: NewDialerCampaign,
  sources: { studioLeads(campaignId: string): Promise<Array<{ leadId: number; phoneNumber: string; name: string | null }> | null>; tenantExists(id: string): Promise<boolean> },
): Promise<DialerCampaign> {
  if (input.tenant_id && !(await sources.tenantExists(input.tenant_id))) throw notFound("tenants.not_found", `no tenant ${input.tenant_id}: create it first, or leave tenant_id out`);
  let leads: Array<{ position: number; phoneNumber: string; name: string | null; leadId: number | null }>;
  if (input.campaign_id) {
    const studio = await sources.studioLeads(input.campaign_id);
    if (!studio) throw notFound("campaign.not_found", `no studio campaign ${input.campaign_id}`);
    if (studio.length === 0) throw unprocessableNoLeads(input.campaign_id);
    leads = studio.map((lead, index) => ({ position: index + 1, phoneNumber: lead.phoneNumber, name: lead.name, leadId: lead.leadId }));
  } else {
    leads = (input.contacts ?? []).map((contact, index) => ({ position: index + 1, phoneNumber: contact.phone_number, name: contact.name ?? null, leadId: null }));
  }
  const now = deps.clock.now();
  const campaign: DialerCampaign = {
    id: input.campaign_id ?? campaignIdOfNew(),
    name: input.name,
    studioCampaignId: input.campaign_id ?? null,
    tenantId: input.tenant_id ?? null,
    state: "ready",
    linesPerAgent: input.lines_per_agent,
    machinePolicy: input.machine_policy,
    unknownPolicy: input.unknown_policy,
    waitLimitSeconds: input.wait_limit_seconds,
    createdAt: now,
    updatedAt: now,
  };
  if (!(await deps.dialer.insertCampaign(campaign, leads))) throw conflict("campaign.exists", `campaign ${campaign.id} is already being dialled`);
  return campaign;
}

function unprocessableNoLeads(id: string): AppError {
  return new AppError("campaign.no_leads", 422, `studio campaign ${id} has no leads: upload its leads first`);
}

export async function dialerCampaignView(deps: Pick<DialerDeps, "dialer">, campaign: DialerCampaign): Promise<DialerCampaignView> {
  const [leads, counts, abandon, agents, live] = await Promise.all([
    deps.dialer.leadCounts(campaign.id),
    deps.dialer.callCounts(campaign.id),
    deps.dialer.abandonFigures(campaign.id),
    deps.dialer.listAgents(campaign.id),
    deps.dialer.listCalls(campaign.id, { live: true }),
  ]);
  return {
    id: campaign.id,
    name: campaign.name,
    state: campaign.state,
    studio_campaign_id: campaign.studioCampaignId,
    tenant_id: campaign.tenantId,
    lines_per_agent: campaign.linesPerAgent,
    machine_policy: campaign.machinePolicy,
    unknown_policy: campaign.unknownPolicy,
    wait_limit_seconds: campaign.waitLimitSeconds,
    leads: { total: leads.total, pending: leads.pending },
    calls: { by_state: counts.byState, by_reason: counts.byReason },
    abandon: { humans: abandon.humans, abandoned: abandon.abandoned, rate: abandon.humans === 0 ? 0 : abandon.abandoned / abandon.humans },
    agents: agents.map((agent) => ({ identity: agent.identity, state: agent.state, call_id: agent.callId })),
    live_calls: live.map(presentCall),
  };
}

export function presentCall(call: DialerCall): DialerCallView {
  return {
    call_id: call.id,
    call_sid: call.callSid,
    position: call.position,
    phone_number: call.phoneNumber,
    state: call.state,
    answered_by: call.answeredBy,
    agent: call.agentIdentity,
    reason: call.reason,
    disposition: call.disposition,
    waiting_since: call.agentIdentity === null && (call.state === "human" || call.state === "unknown") ? call.verdictAt : null,
  };
}

/** The seed's "dial next": the campaign dials, placing lines for every free agent (one line when none has joined yet). */
export async function dialNext(deps: DialerDeps, campaignId: string): Promise<{ placed: number }> {
  const campaign = await requireCampaign(deps, campaignId);
  if (campaign.state === "ended") throw conflict("campaign.ended", `campaign ${campaignId} has ended`);
  if (campaign.state !== "dialing") await deps.dialer.updateCampaign(campaignId, { state: "dialing" }, deps.clock.now());
  const placed = await paceCampaign(deps, campaignId, { atLeastOne: true });
  return { placed };
}

/**
 * Places as many calls as the campaign's free agents can take: `linesPerAgent` lines each, less the
 * calls already ringing or waiting. The intended calls are recorded before Twilio is asked.
 */
export async function paceCampaign(deps: DialerDeps, campaignId: string, options: { atLeastOne?: boolean } = {}): Promise<number> {
  const intended = await deps.lock.run(campaignId, async () => {
    const campaign = await deps.dialer.findCampaign(campaignId);
    if (!campaign || campaign.state !== "dialing") return [];
    const free = (await deps.dialer.availableAgents(campaignId)).length;
    const inFlight = await deps.dialer.inFlightCount(campaignId);
    let lines = free * campaign.linesPerAgent - inFlight;
    if (options.atLeastOne && inFlight === 0) lines = Math.max(lines, 1);
    const now = deps.clock.now();
    return await deps.dialer.claimLeads(campaignId, lines, () => ({
      id: randomUUID(),
      callerId: "",
      callSid: null,
      state: "placing",
      twilioStatus: null,
      statusSequence: -1,
      answeredAt: null,
      queuedAt: null,
      answeredBy: null,
      verdictSource: null,
      verdictAt: null,
      agentIdentity: null,
      bridgedAt: null,
      endedAt: null,
      durationSeconds: null,
      reason: null,
      disposition: null,
      placeAttempts: 0,
      lastError: null,
      createdAt: now,
      updatedAt: now,
    }));
  });
  for (const call of intended) deps.placing.add(call.id);
  await Promise.all(intended.map((call) => placeCall(deps, call).finally(() => deps.placing.delete(call.id))));
  return intended.length;
}

function webhookUrl(deps: Pick<DialerDeps, "settings">, path: string, callId: string): string {
  return `${deps.settings.baseUrl}${path}?call=${encodeURIComponent(callId)}`;
}

/**
 * Asks Twilio to place a recorded call. A create whose answer was lost (5xx, timeout) may have
 * placed the call: the calls to that number since the intent are looked up before trying again.
 */
export async function placeCall(deps: DialerDeps, intended: DialerCall): Promise<void> {
  const campaign = await requireCampaign(deps, intended.campaignId);
  let call = intended;
  if (!call.callerId) call = await changeCall(deps, call, { callerId: await deps.chooseCallerId(campaign, call.phoneNumber, call.id) });
  const params = {
    To: call.phoneNumber,
    From: call.callerId,
    Url: webhookUrl(deps, webhookPaths.queue, call.id),
    Method: "POST",
    StatusCallback: webhookUrl(deps, webhookPaths.status, call.id),
    StatusCallbackMethod: "POST",
    StatusCallbackEvent: ["initiated", "ringing", "answered", "completed"],
    MachineDetection: campaign.machinePolicy === "voicemail" ? "DetectMessageEnd" : "Enable",
    MachineDetectionTimeout: String(deps.settings.machineDetectionTimeoutSeconds),
    AsyncAmd: "true",
    AsyncAmdStatusCallback: webhookUrl(deps, webhookPaths.amd, call.id),
    AsyncAmdStatusCallbackMethod: "POST",
  };
  // A call whose create was sent by a process that then stopped may be placed already.
  if (call.placeAttempts > 0 && (await adoptPlacedCall(deps, call))) return;
  let failure: TwilioRestFailure | null = null;
  for (let attempt = 1; attempt <= createAttempts; attempt++) {
    if (failure?.ambiguous && (await adoptPlacedCall(deps, call))) return;
    const latest = await deps.dialer.findCall(call.id);
    if (!latest || latest.callSid !== null || latest.state === "ended") return;
    call = await changeCall(deps, latest, { placeAttempts: latest.placeAttempts + 1 });
    const result = await deps.twilio.createCall(params);
    if (result.ok) {
      await deps.lock.run(call.campaignId, async () => {
        const current = await deps.dialer.findCall(call.id);
        if (current && current.callSid === null) await changeCall(deps, current, { callSid: result.value.sid, lastError: null });
      });
      return;
    }
    failure = result;
    await changeCall(deps, call, { lastError: `${result.status ?? "no answer"}: ${result.message}` });
    if (!result.retryable) break;
    if (attempt < createAttempts) await new Promise<void>((resolve) => setTimeout(resolve, createRetryDelayMs(attempt)));
  }
  if (failure?.ambiguous && (await adoptPlacedCall(deps, call))) return;
  deps.logger.warn("dialer could not place a call", { campaignId: call.campaignId, callId: call.id, status: failure?.status ?? null, error: failure?.message ?? null });
  await finishCall(deps, call.id, { reason: "place_failed", status: null, durationSeconds: 0 });
}

/** Takes over the call Twilio placed for this intent although its answer was lost; false when there is none. */
async function adoptPlacedCall(deps: DialerDeps, call: DialerCall): Promise<boolean> {
  const listed = await deps.twilio.listCallsTo(call.phoneNumber);
  if (!listed.ok) return false;
  // Twilio's dates have whole seconds; a lead is dialled by one intent at a time, so a call to it since then is this one.
  const since = Math.floor(call.createdAt / 1000) * 1000;
  for (const candidate of listed.value) {
    if (candidate.dateCreated !== null && candidate.dateCreated < since) continue;
    const owner = await deps.dialer.findCallBySid(candidate.sid);
    if (owner && owner.id !== call.id) continue;
    await deps.lock.run(call.campaignId, async () => {
      const current = await deps.dialer.findCall(call.id);
      if (current && current.callSid === null) await changeCall(deps, current, { callSid: candidate.sid });
    });
    return true;
  }
  return false;
}

async function changeCall(deps: Pick<DialerDeps, "dialer" | "clock">, call: DialerCall, changes: DialerCallChanges): Promise<DialerCall> {
  return await deps.dialer.updateCall(call.id, { ...changes, updatedAt: deps.clock.now() });
}

async function callOfWebhook(deps: DialerDeps, callId: string | undefined, params: WebhookParams): Promise<DialerCall> {
  const byId = callId ? await deps.dialer.findCall(callId) : null;
  const call = byId ?? (params.CallSid ? await deps.dialer.findCallBySid(params.CallSid) : null);
  if (!call) throw notFound("dialer.call_not_found", `no dialer call ${callId ?? params.CallSid ?? ""}`);
  if (call.callSid !== null && params.CallSid && call.callSid !== params.CallSid) throw conflict("dialer.call_sid_mismatch", `call ${call.id} is ${call.callSid}, not ${params.CallSid}`);
  return call;
}

/**
 * Answered: the customer waits with hold music until the verdict routes them (or goes straight to
 * an agent already chosen). Webhooks about one call change only its own facts, each in one
 * statement, so they take no campaign-wide lock.
 */
export async function customerAnswered(deps: DialerDeps, callId: string | undefined, params: WebhookParams): Promise<string> {
  const probe = await callOfWebhook(deps, callId, params);
  const now = deps.clock.now();
  const queued = await deps.dialer.markQueued(probe.id, now, params.CallSid ?? null);
  if (queued) deps.publish({ type: "call_queued", campaign_id: queued.campaignId, call: presentCall(queued) });
  const call = queued ?? probe;
  if (call.endedAt !== null || (call.reason !== null && call.reason !== "voicemail")) return hangupTwiml();
  if (call.agentIdentity !== null) {
    await connectCall(deps, call);
    return customerConferenceTwiml(conferenceNameOf(call.agentIdentity));
  }
  return holdMusicTwiml(`${deps.settings.baseUrl}/api/voice/hold-music.wav`);
}

type RoutedAction = { kind: "redirect"; call: DialerCall } | { kind: "hangup"; call: DialerCall } | { kind: "voicemail"; call: DialerCall } | { kind: "none" };

/** The async AMD verdict: human → an agent's conference (or the queue), machine → hung up or voicemail, unknown → per campaign. */
export async function detectionResult(deps: DialerDeps, callId: string | undefined, params: WebhookParams, source: "amd" | "timeout" = "amd"): Promise<void> {
  const answeredBy = source === "timeout" ? "unknown" : requiredParam(params, "AnsweredBy");
  const probe = await callOfWebhook(deps, callId, params);
  const now = deps.clock.now();
  const call = await deps.dialer.recordVerdict(probe.id, { answeredBy, source, now, callSid: params.CallSid ?? null });
  if (!call) return;
  const verdict = verdictOf(answeredBy);
  deps.publish({ type: "detection_result", campaign_id: call.campaignId, call_id: call.id, answered_by: answeredBy, verdict, source });
  if (call.endedAt !== null || call.reason !== null) return;
  const campaign = await requireCampaign(deps, call.campaignId);
  const end = async (reason: string, kind: "hangup" | "voicemail") => {
    const decided = await deps.dialer.updateCallOnce(call.id, "reason", { reason, updatedAt: deps.clock.now() }, true);
    if (decided) await performAction(deps, { kind, call: decided });
  };
  if (verdict === "machine") {
    if (campaign.machinePolicy === "voicemail" && answeredBy.startsWith("machine_end")) return await end("voicemail", "voicemail");
    return await end("machine_hangup", "hangup");
  }
  if (verdict === "unknown" && campaign.unknownPolicy === "hangup") return await end("unknown_hangup", "hangup");
  const routed = await deps.lock.run(call.campaignId, () => assignAgent(deps, call));
  if (routed) await performAction(deps, { kind: "redirect", call: routed });
}

/** Gives the call the agent free longest, if any; the caller holds the campaign's lock. */
async function assignAgent(deps: DialerDeps, call: DialerCall): Promise<DialerCall | null> {
  const [agent] = await deps.dialer.availableAgents(call.campaignId);
  if (!agent) return null;
  const assigned = await deps.dialer.updateCallOnce(call.id, "agentIdentity", { agentIdentity: agent.identity, updatedAt: deps.clock.now() }, true);
  if (assigned) await deps.dialer.updateAgent(call.campaignId, agent.identity, { state: "busy", callId: call.id }, deps.clock.now());
  return assigned;
}

async function performAction(deps: DialerDeps, action: RoutedAction): Promise<void> {
  if (action.kind === "none" || action.call.callSid === null) return;
  const { call } = action;
  if (action.kind === "redirect") {
    const result = await deps.twilio.updateCall(call.callSid!, { Url: webhookUrl(deps, webhookPaths.join, call.id), Method: "POST" });
    if (!result.ok) await redirectFailed(deps, call, result);
    return;
  }
  if (action.kind === "voicemail") {
    const campaign = await requireCampaign(deps, call.campaignId);
    const file = await deps.voicemailFileOf(campaign, call.position);
    const twiml = file ? voicemailTwiml(`${deps.settings.baseUrl}/api/voice/voicemail/${call.id}.wav`) : hangupTwiml();
    const result = await deps.twilio.updateCall(call.callSid!, { Twiml: twiml });
    if (!result.ok) await changeCall(deps, call, { lastError: `voicemail: ${result.message}` });
    return;
  }
  const result = await deps.twilio.updateCall(call.callSid!, { Status: "completed" });
  if (!result.ok) await changeCall(deps, call, { lastError: `hangup: ${result.message}` });
}

/** The redirect did not reach Twilio: the agent is free again and the customer waits in the queue. */
async function redirectFailed(deps: DialerDeps, call: DialerCall, failure: TwilioRestFailure): Promise<void> {
  deps.logger.warn("dialer could not redirect a call to its agent", { callId: call.id, status: failure.status, error: failure.message });
  await deps.lock.run(call.campaignId, async () => {
    const current = (await deps.dialer.findCall(call.id))!;
    if (current.bridgedAt !== null || current.endedAt !== null) return;
    await deps.dialer.releaseAgentOf(call.campaignId, call.id, deps.clock.now());
    await changeCall(deps, current, { agentIdentity: null, lastError: `redirect: ${failure.message}` });
  });
}

/** Twilio fetched the conference TwiML: the customer is with the agent (said once, however often Twilio asks). */
async function connectCall(deps: DialerDeps, call: DialerCall): Promise<void> {
  const connected = await deps.dialer.updateCallOnce(call.id, "bridgedAt", { bridgedAt: deps.clock.now(), updatedAt: deps.clock.now() });
  if (connected) deps.publish({ type: "call_connected", campaign_id: call.campaignId, call_id: call.id, agent: connected.agentIdentity, call: presentCall(connected) });
}

export async function customerJoinConference(deps: DialerDeps, callId: string | undefined, params: WebhookParams): Promise<string> {
  const call = await callOfWebhook(deps, callId, params);
  if (call.endedAt !== null) return hangupTwiml();
  if (call.agentIdentity === null) return holdMusicTwiml(`${deps.settings.baseUrl}/api/voice/hold-music.wav`);
  await connectCall(deps, call);
  return customerConferenceTwiml(conferenceNameOf(call.agentIdentity));
}

/** A status callback: applied in SequenceNumber order, a duplicate or a late earlier one changes nothing it should not. */
export async function callStatusChanged(deps: DialerDeps, callId: string | undefined, params: WebhookParams): Promise<void> {
  const status = requiredParam(params, "CallStatus");
  if (!callId && (params.From ?? "").startsWith("client:")) {
    if (terminalStatuses.has(status)) await agentLeft(deps, params.From!.slice("client:".length));
    return;
  }
  const sequence = Number(params.SequenceNumber ?? "0");
  if (!Number.isInteger(sequence) || sequence < 0) throw badRequest("twilio.field_invalid", "SequenceNumber must be a whole number");
  const probe = await callOfWebhook(deps, callId, params);
  const call = await deps.dialer.applyStatus(probe.id, { status, sequence, answered: status === "in-progress", callSid: params.CallSid ?? null, now: deps.clock.now() });
  const ended = terminalStatuses.has(status) && call.endedAt === null ? call : null;
  if (ended) {
    const duration = Number(params.CallDuration ?? "0");
    await finishCall(deps, ended.id, { status, durationSeconds: Number.isFinite(duration) ? duration : 0 });
  }
}

function endReasonOf(call: DialerCall, status: string | null): string {
  if (call.reason !== null) return call.reason;
  if (status === "busy") return "busy";
  if (status === "no-answer") return "no_answer";
  if (status === "failed") return "failed";
  if (status === "canceled") return "canceled";
  if (call.bridgedAt !== null) return "completed";
  if (call.answeredBy === null) return call.answeredAt === null ? "completed" : "hangup_before_verdict";
  // A human (or a connected unknown) who hung up while waiting for an agent was abandoned.
  return "abandoned";
}

/** Ends a call once: its agent is free, the result is recorded, the abandon rule is checked and the campaign paced. */
async function finishCall(deps: DialerDeps, callId: string, end: { status: string | null; durationSeconds: number; reason?: string }): Promise<void> {
  const probe = await deps.dialer.findCall(callId);
  if (!probe) return;
  const finished = await deps.lock.run(probe.campaignId, async () => {
    const call = (await deps.dialer.findCall(callId))!;
    if (call.endedAt !== null) return null;
    const now = deps.clock.now();
    const reason = end.reason ?? endReasonOf(call, end.status);
    const ended = await changeCall(deps, call, { endedAt: now, durationSeconds: end.durationSeconds, reason, twilioStatus: end.status ?? call.twilioStatus });
    await deps.dialer.releaseAgentOf(call.campaignId, call.id, now);
    const campaign = await requireCampaign(deps, call.campaignId);
    if (reason === "abandoned") await applyAbandonRule(deps, campaign);
    return { call: ended, campaign };
  });
  if (!finished) return;
  deps.publish({ type: "call_ended", campaign_id: finished.call.campaignId, call_id: finished.call.id, reason: finished.call.reason, call: presentCall(finished.call) });
  try {
    await deps.recordResult(finished.campaign, finished.call);
  } catch (error) {
    deps.logger.error("dialer could not record a call result", { callId, error });
  }
  await routeWaitingCalls(deps, finished.call.campaignId);
  await paceCampaign(deps, finished.call.campaignId);
}

/** The 3 % rule: while abandoned humans are at least 3 % of answered humans, each abandon takes a line per agent away (down to one). The caller holds the lock. */
async function applyAbandonRule(deps: DialerDeps, campaign: DialerCampaign): Promise<void> {
  const { humans, abandoned } = await deps.dialer.abandonFigures(campaign.id);
  if (humans === 0 || abandoned / humans < maxAbandonRate || campaign.linesPerAgent <= 1) return;
  await deps.dialer.updateCampaign(campaign.id, { linesPerAgent: campaign.linesPerAgent - 1 }, deps.clock.now());
  deps.publish({ type: "lines_lowered", campaign_id: campaign.id, lines_per_agent: campaign.linesPerAgent - 1, abandon_rate: abandoned / humans });
}

/** Free agents take the humans waiting longest. */
export async function routeWaitingCalls(deps: DialerDeps, campaignId: string): Promise<void> {
  const actions = await deps.lock.run(campaignId, async () => {
    const routed: RoutedAction[] = [];
    for (const call of await deps.dialer.waitingCalls(campaignId)) {
      if (call.endedAt !== null) continue;
      const assigned = await assignAgent(deps, call);
      if (!assigned) break;
      routed.push({ kind: "redirect", call: assigned });
    }
    return routed;
  });
  await Promise.all(actions.map((action) => performAction(deps, action)));
}

/** The TwiML App's request for an agent's browser leg: the agent waits in their conference and is free for the campaign. */
export async function agentJoined(deps: DialerDeps, params: WebhookParams): Promise<string> {
  const from = requiredParam(params, "From");
  if (!from.startsWith("client:")) throw badRequest("twilio.field_invalid", "the agent leg comes from a Voice SDK client (From: client:<identity>)");
  const identity = from.slice("client:".length);
  const campaignId = requiredParam(params, "campaignId");
  await requireCampaign(deps, campaignId);
  await deps.lock.run(campaignId, () => deps.dialer.upsertAgent(campaignId, identity, deps.clock.now()));
  deps.publish({ type: "agent_joined", campaign_id: campaignId, agent: identity });
  void (async () => {
    await routeWaitingCalls(deps, campaignId);
    await paceCampaign(deps, campaignId);
  })().catch((error) => deps.logger.error("dialer could not pace after an agent joined", { campaignId, error }));
  return agentConferenceTwiml(conferenceNameOf(identity));
}

async function agentLeft(deps: DialerDeps, identity: string): Promise<void> {
  const campaigns = await deps.dialer.markAgentAway(identity, deps.clock.now());
  for (const campaignId of campaigns) deps.publish({ type: "agent_left", campaign_id: campaignId, agent: identity });
}

export async function saveDisposition(deps: DialerDeps, campaignId: string, input: { call_id: string; disposition: string }): Promise<DialerCall> {
  const campaign = await requireCampaign(deps, campaignId);
  const saved = await deps.lock.run(campaignId, async () => {
    const call = await deps.dialer.findCall(input.call_id);
    if (!call || call.campaignId !== campaignId) throw notFound("dialer.call_not_found", `campaign ${campaignId} has no call ${input.call_id}`);
    if (call.bridgedAt === null) throw conflict("dialer.call_not_connected", `call ${input.call_id} never reached an agent: there is nothing to disposition`);
    return await changeCall(deps, call, { disposition: input.disposition });
  });
  deps.publish({ type: "disposition_saved", campaign_id: campaignId, call_id: saved.id, disposition: saved.disposition });
  if (saved.endedAt !== null) await deps.recordResult(campaign, saved);
  return saved;
}

/** Ends the campaign: nothing new is dialled, calls not yet with an agent are hung up, connected ones go on. */
export async function endCampaign(deps: DialerDeps, campaignId: string): Promise<{ hung_up: number }> {
  const live = await deps.lock.run(campaignId, async () => {
    await requireCampaign(deps, campaignId);
    await deps.dialer.updateCampaign(campaignId, { state: "ended" }, deps.clock.now());
    return (await deps.dialer.listCalls(campaignId, { live: true })).filter((call) => call.bridgedAt === null && call.agentIdentity === null);
  });
  await Promise.all(
    live.map(async (call) => {
      if (call.callSid === null) return;
      await deps.twilio.updateCall(call.callSid, { Status: call.answeredAt === null ? "canceled" : "completed" });
    }),
  );
  deps.publish({ type: "campaign_ended", campaign_id: campaignId });
  return { hung_up: live.length };
}

/**
 * The settlement loop's work: a verdict that never came is `unknown`, a human waiting past the
 * campaign's limit hears the apology and is abandoned, a hang-up that did not reach Twilio is
 * repeated, and a call recorded by a process that stopped before placing it is reconciled.
 */
export async function settleDialer(deps: DialerDeps): Promise<{ settled: number }> {
  const now = deps.clock.now();
  let settled = 0;
  const late = await deps.dialer.callsAwaitingVerdict(now - deps.settings.machineDetectionTimeoutSeconds * 1000 - verdictMarginMs);
  for (const call of late) {
    await detectionResult(deps, call.id, {}, "timeout");
    settled++;
  }
  for (const call of await deps.dialer.waitingCalls()) {
    const campaign = await deps.dialer.findCampaign(call.campaignId);
    if (!campaign || call.verdictAt === null || call.verdictAt > now - campaign.waitLimitSeconds * 1000) continue;
    const abandoned = await deps.lock.run(call.campaignId, async () => {
      const current = (await deps.dialer.findCall(call.id))!;
      if (current.agentIdentity !== null || current.reason !== null || current.endedAt !== null) return null;
      return await changeCall(deps, current, { reason: "abandoned" });
    });
    if (abandoned?.callSid) {
      const result = await deps.twilio.updateCall(abandoned.callSid, { Twiml: apologyTwiml(apology) });
      if (!result.ok) await changeCall(deps, abandoned, { lastError: `apology: ${result.message}` });
      settled++;
    }
  }
  // A decided end that Twilio never heard of is repeated as a plain hang-up.
  for (const call of await deps.dialer.undeliveredEnds(now - undeliveredEndRetryMs)) {
    const result = await deps.twilio.updateCall(call.callSid!, { Status: "completed" });
    await changeCall(deps, call, { lastError: result.ok ? null : `hangup: ${result.message}` });
    settled++;
  }
  // A call recorded but unknown to Twilio, which no placement in this process is working on, was left by a stopped process.
  for (const call of await deps.dialer.strandedPlacements(now - deps.settings.strandedPlacementMs)) {
    if (deps.placing.has(call.id)) continue;
    deps.placing.add(call.id);
    try {
      await placeCall(deps, call);
    } finally {
      deps.placing.delete(call.id);
    }
    settled++;
  }
  for (const campaignId of await deps.dialer.listCampaignIds(["dialing"])) {
    await routeWaitingCalls(deps, campaignId);
    await paceCampaign(deps, campaignId);
  }
  return { settled };
}

/** Runs `settleDialer` every second until shutdown. */
export function startDialerSettlement(deps: DialerDeps, signal: AbortSignal, intervalMs = 1_000): BackgroundLoop {
  return startBackgroundLoop({ name: "dialer-settlement", intervalMs, clock: deps.clock, logger: deps.logger, signal, tick: async () => void (await settleDialer(deps)) });
}
