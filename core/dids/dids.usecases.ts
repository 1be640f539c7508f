import { randomUUID } from "node:crypto";
import { badRequest, conflict, notFound } from "../../shared/http/app-error.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { Tenant } from "../tenants/tenants.repository.ts";
import { chooseDid, type DidCandidate, type SelectionChoice } from "./did-selection.ts";
import type { DidPools, TenantPool } from "./did-pools.ts";
import type { AreaCodeLocation, Did, DidFields, DidsRepository } from "./dids.repository.ts";
import { areaCodeOf, phoneKeyOf } from "./phone-numbers.ts";

export interface DidsDeps {
  dids: DidsRepository;
  pools: DidPools;
  clock: Clock;
  random: () => number;
}

/** A call's result counts for the selection made up to this long before the call started… */
const attributionBeforeStartMs = 10 * 60_000;
/** …or this long after (the dialer's clock and ours differ a little). */
const attributionAfterStartMs = 2 * 60_000;
const priorWeight = 20;
const nearbyKm = 80;

export interface NextDidRequest {
  campaignId: string;
  customerPhone: string | null;
  customerState: string | null;
  agentId: string | null;
  leadId: string | null;
  uniqueid: string | null;
}

export interface NextDidSelection {
  did: Did;
  choice: SelectionChoice;
  selectionId: number;
  usedToday: number;
  poolSize: number;
}

export async function selectNextDid(deps: DidsDeps, tenant: Tenant, request: NextDidRequest): Promise<NextDidSelection> {
  const areaCodes = await deps.pools.areaCodes();
  // No await from reading today's usage to reserving the pick: concurrent requests see each other's picks.
  const pool = await deps.pools.poolFor(tenant);
  const members = pool.byCampaign.get(request.campaignId) ?? pool.shared;
  if (members.length === 0) throw notFound("dids.pool_empty", `no active DIDs for campaign ${request.campaignId}, and the shared pool is empty`);
  const customerAreaCode = areaCodeOf(request.customerPhone);
  const customerPlace = customerAreaCode ? areaCodes.get(customerAreaCode) : undefined;
  const candidates = members.map((did) => candidateOf(did, pool, areaCodes));
  const choice = chooseDid(
    candidates,
    { areaCode: customerAreaCode, state: request.customerState ?? customerPlace?.state ?? null, location: customerPlace ?? null },
    { priorRate: pool.priorRate, priorWeight, nearbyKm, random: deps.random },
  );
  if (!choice) throw conflict("dids.pool_exhausted", `every DID for campaign ${request.campaignId} has reached its daily limit`);
  const selectedAt = deps.clock.now();
  const did = members.find((member) => member.id === choice.did.id)!;
  const reservation = deps.pools.reserve(tenant.id, did.id, selectedAt);
  let selectionId: number;
  try {
    selectionId = await deps.dids.insertSelection({
      tenantId: tenant.id,
      didId: did.id,
      didNumber: did.phoneNumber,
      campaignId: request.campaignId,
      customerPhoneKey: phoneKeyOf(request.customerPhone),
      leadId: request.leadId,
      uniqueid: request.uniqueid,
      agentId: request.agentId,
      method: choice.method,
      selectedAt,
    });
  } catch (error) {
    reservation.cancel();
    throw error;
  }
  reservation.confirm(selectionId);
  return { did, choice, selectionId, usedToday: choice.did.usedToday + 1, poolSize: members.length };
}

export interface DidWithStats extends Did {
  usedToday: number;
  attempts: number;
  answered: number;
}

export async function listDidsWithStats(deps: DidsDeps, tenant: Tenant, filter: { campaignId?: string; active?: boolean }): Promise<DidWithStats[]> {
  const [dids, pool] = await Promise.all([deps.dids.listDids(tenant.id, filter), deps.pools.poolFor(tenant)]);
  return dids.map((did) => ({
    ...did,
    usedToday: pool.usage.get(did.id) ?? 0,
    attempts: pool.results.get(did.id)?.attempts ?? 0,
    answered: pool.results.get(did.id)?.answered ?? 0,
  }));
}

export interface DidInput {
  phoneNumber: string;
  campaignId?: string | null;
  areaCode?: string | null;
  state?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  dailyLimit?: number | null;
  active?: boolean;
}

/** Adds DIDs, or updates the ones the tenant already has (matched by number): imports can be re-run. */
export async function importDids(deps: DidsDeps, tenantId: string, inputs: readonly DidInput[]): Promise<Array<{ did: Did; created: boolean }>> {
  const seen = new Set<string>();
  const fields: DidFields[] = inputs.map((input, index) => {
    const phoneNumber = phoneKeyOf(input.phoneNumber);
    if (!phoneNumber || phoneNumber.length < 7 || phoneNumber.length > 15) {
      throw badRequest("dids.phone_invalid", `DID ${index}: "${input.phoneNumber}" is not a phone number (7 to 15 digits)`);
    }
    if (seen.has(phoneNumber)) throw badRequest("dids.duplicate", `DID ${index}: ${phoneNumber} appears twice in the request`);
    seen.add(phoneNumber);
    return {
      phoneNumber,
      areaCode: input.areaCode ?? areaCodeOf(phoneNumber),
      state: input.state?.toUpperCase() ?? null,
      latitude: input.latitude ?? null,
      longitude: input.longitude ?? null,
      campaignId: input.campaignId ?? null,
      dailyLimit: input.dailyLimit ?? null,
      active: input.active ?? true,
    };
  });
  const saved = await deps.dids.upsertDids(tenantId, fields, randomUUID, deps.clock.now());
  deps.pools.invalidate(tenantId);
  return saved;
}

export async function updateDid(deps: DidsDeps, tenantId: string, didId: string, changes: Partial<DidFields>): Promise<Did> {
  const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<DidFields>;
  const normalized = { ...given, ...(given.state ? { state: given.state.toUpperCase() } : {}) };
  const updated = await deps.dids.updateDid(tenantId, didId, normalized, deps.clock.now());
  if (!updated) throw notFound("dids.not_found", `no DID ${didId}`);
  deps.pools.invalidate(tenantId);
  return updated;
}

export async function loadAreaCodes(deps: DidsDeps, rows: readonly AreaCodeLocation[]): Promise<number> {
  const count = await deps.dids.upsertAreaCodes(rows, deps.clock.now());
  deps.pools.invalidateAreaCodes();
  return count;
}

export function attributeCallsToSelections(deps: Pick<DidsDeps, "dids">) {
  return (tenantId: string, uniqueids: readonly string[]) =>
    deps.dids.attributeCalls(tenantId, uniqueids, { beforeStartMs: attributionBeforeStartMs, afterStartMs: attributionAfterStartMs });
}

function candidateOf(did: Did, pool: TenantPool, areaCodes: ReadonlyMap<string, AreaCodeLocation>): DidCandidate {
  const place = did.areaCode ? areaCodes.get(did.areaCode) : undefined;
  const results = pool.results.get(did.id);
  return {
    id: did.id,
    phoneNumber: did.phoneNumber,
    areaCode: did.areaCode,
    state: did.state ?? place?.state ?? null,
    location: did.latitude !== null && did.longitude !== null ? { latitude: did.latitude, longitude: did.longitude } : (place ?? null),
    dailyLimit: did.dailyLimit,
    usedToday: pool.usage.get(did.id) ?? 0,
    attempts: results?.attempts ?? 0,
    answered: results?.answered ?? 0,
  };
}
