import { existsSync } from "node:fs";
import type { CallResult } from "../../shared/contracts/call-results.ts";
import { AppError } from "../../shared/http/app-error.ts";
import type { ConfigOf } from "../../shared/config/config-spec.ts";
import type { Logger } from "../../shared/log/logger.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { recordCallResults } from "../calls/calls.usecases.ts";
import type { CoreConfigSpec } from "../config.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import type { DidPools } from "../dids/did-pools.ts";
import { createDidsRepository } from "../dids/dids.repository.ts";
import { attributeCallsToSelections, selectNextDid } from "../dids/dids.usecases.ts";
import { createKeyedMutex } from "../ingest/keyed-mutex.ts";
import { clipFilesOf } from "../studio/synthesis-cache.ts";
import type { StudioRepository } from "../studio/studio.repository.ts";
import { speechDirectoryOf } from "../studio/tts.stage.ts";
import { createTenantsRepository } from "../tenants/tenants.repository.ts";
import { createDialerRepository, type DialerCall, type DialerCampaign } from "./dialer.repository.ts";
import type { DialerDeps, DialerEvent } from "./dialer.usecases.ts";
import { createTwilioRestClient } from "./twilio-rest-client.ts";

/** What a finished call is in the call-results store: VICIdial's statuses, so /stats and DID statistics read Twilio calls like any other. */
const dispositionOfReason: Record<string, string> = {
  busy: "B",
  no_answer: "NA",
  canceled: "NA",
  failed: "DC",
  place_failed: "ERI",
  machine_hangup: "AA",
  voicemail: "AM",
  unknown_hangup: "DROP",
  abandoned: "DROP",
  hangup_before_verdict: "DROP",
};

/** DIDs are stored as North American numbers without the country code; Twilio dials E.164. */
export function e164Of(phoneNumber: string): string {
  if (phoneNumber.startsWith("+")) return phoneNumber;
  const digits = phoneNumber.replace(/\D/g, "");
  return digits.length === 10 ? `+1${digits}` : `+${digits}`;
}

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

/** The call as a row of the call-results store (times in UTC). */
export function callResultOfDialerCall(campaign: DialerCampaign, call: DialerCall, leadId: number | null): CallResult {
  const started = new Date(call.createdAt);
  const callDate = `${started.getUTCFullYear()}-${twoDigits(started.getUTCMonth() + 1)}-${twoDigits(started.getUTCDate())} ${twoDigits(started.getUTCHours())}:${twoDigits(started.getUTCMinutes())}:${twoDigits(started.getUTCSeconds())}`;
  const disposition = call.reason === "completed" ? (call.disposition ?? "ANSWER") : (dispositionOfReason[call.reason ?? ""] ?? "NA");
  return {
    uniqueid: call.id,
    leadId: String(leadId ?? call.position),
    listId: null,
    campaignId: campaign.id.slice(0, 20),
    phoneNumber: call.phoneNumber.slice(0, 30),
    phoneCode: null,
    disposition,
    duration: call.durationSeconds,
    agentId: call.agentIdentity?.slice(0, 50) ?? null,
    userGroup: null,
    termReason: (call.reason ?? "").slice(0, 20) || null,
    comments: null,
    altDial: null,
    calledCount: 1,
    callDate,
    startEpoch: Math.floor(call.createdAt / 1000),
    endEpoch: call.endedAt === null ? null : Math.floor(call.endedAt / 1000),
  };
}

/** The dialer on the core's database and Twilio's API; null until Twilio is configured. */
export function createDialerDeps(deps: {
  config: ConfigOf<CoreConfigSpec>;
  db: CoreDatabase;
  clock: Clock;
  logger: Logger;
  didPools: DidPools;
  random: () => number;
  publish(event: DialerEvent): void;
}): DialerDeps | null {
  const { config } = deps;
  if (!config.twilioAccountSid || !config.twilioAuthToken || !config.baseUrl || !config.twilioPhoneNumber) return null;
  const dialer = createDialerRepository(deps.db);
  const tenants = createTenantsRepository(deps.db);
  const dids = createDidsRepository(deps.db);
  const speechDirectory = speechDirectoryOf(config);
  const useApiKey = config.twilioApiKey !== undefined && config.twilioApiSecret !== undefined;
  const callerId = config.twilioPhoneNumber;
  return {
    dialer,
    clock: deps.clock,
    logger: deps.logger,
    settings: {
      accountSid: config.twilioAccountSid,
      authToken: config.twilioAuthToken,
      baseUrl: config.baseUrl,
      callerId,
      machineDetectionTimeoutSeconds: config.twilioMachineDetectionTimeoutSeconds,
      strandedPlacementMs: config.twilioTimeoutSeconds * 2000,
      apiKey: config.twilioApiKey,
      apiSecret: config.twilioApiSecret,
      twimlAppSid: config.twilioTwimlAppSid,
    },
    twilio: createTwilioRestClient({
      baseUrl: config.twilioApiBaseUrl,
      credentials: { accountSid: config.twilioAccountSid, username: useApiKey ? config.twilioApiKey! : config.twilioAccountSid, password: useApiKey ? config.twilioApiSecret! : config.twilioAuthToken },
      timeoutMs: config.twilioTimeoutSeconds * 1000,
    }),
    publish: deps.publish,
    async recordResult(campaign, call) {
      if (!campaign.tenantId) return;
      const lead = await dialer.findLead(campaign.id, call.position);
      await recordCallResults({ db: deps.db, clock: deps.clock, attributeCalls: attributeCallsToSelections({ dids }) }, campaign.tenantId, [callResultOfDialerCall(campaign, call, lead?.leadId ?? null)]);
    },
    async chooseCallerId(campaign, phoneNumber, callId) {
      const tenant = campaign.tenantId ? await tenants.findTenant(campaign.tenantId) : null;
      if (!tenant) return callerId;
      try {
        const selection = await selectNextDid({ dids, pools: deps.didPools, clock: deps.clock, random: deps.random }, tenant, {
          campaignId: campaign.id.slice(0, 20),
          customerPhone: phoneNumber,
          customerState: null,
          agentId: null,
          leadId: null,
          uniqueid: callId,
        });
        return e164Of(selection.did.phoneNumber);
      } catch (error) {
        // No pool (or every DID at its daily limit): the account's own number.
        if (error instanceof AppError && error.code.startsWith("dids.")) return callerId;
        throw error;
      }
    },
    async voicemailFileOf(campaign, position) {
      if (!campaign.studioCampaignId) return null;
      const lead = await dialer.findLead(campaign.id, position);
      if (lead?.leadId == null) return null;
      const clipKey = await dialer.voicemailClipOf(campaign.studioCampaignId, lead.leadId);
      if (!clipKey) return null;
      const { wavPath } = clipFilesOf(speechDirectory, clipKey);
      return existsSync(wavPath) ? wavPath : null;
    },
    lock: createKeyedMutex(),
    placing: new Set(),
  };
}

/** Every lead of a studio campaign as the dialer dials it (null when there is no such campaign). */
export function studioLeadsOf(studio: StudioRepository) {
  return async (campaignId: string): Promise<Array<{ leadId: number; phoneNumber: string; name: string | null }> | null> => {
    if (!(await studio.findCampaign(campaignId))) return null;
    const leads: Array<{ leadId: number; phoneNumber: string; name: string | null }> = [];
    for (let after = 0; ; ) {
      const page = await studio.leadsPage(campaignId, after, 1000);
      if (page.length === 0) return leads;
      for (const lead of page) leads.push({ leadId: lead.leadId, phoneNumber: lead.phoneNumber.replace(/[\s().-]/g, ""), name: lead.fields.first_name ?? lead.fields.name ?? null });
      after = page[page.length - 1]!.leadId;
    }
  };
}
