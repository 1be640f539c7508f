import { randomBytes, randomUUID } from "node:crypto";
import { AppError, conflict, forbidden, notFound, unauthorized } from "../../shared/http/app-error.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { hashSecret } from "../admin/admin-auth.ts";
import type { ApiKeyOwner, ApiKeyRecord, Tenant, TenantsRepository } from "./tenants.repository.ts";

/** What a key may do. `manage` changes DID pools and disposition mapping; the others only read or report. */
export const apiKeyScopes = ["call_results", "dids_next", "stats", "manage"] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];
export const defaultApiKeyScopes: readonly ApiKeyScope[] = ["call_results", "dids_next", "stats"];

const keyPrefixLength = 10;
/** Recording "last used" on every request would turn every read into a write. */
const lastUsedResolutionMs = 60_000;

export interface TenantsDeps {
  tenants: TenantsRepository;
  clock: Clock;
}

export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export async function createTenant(deps: TenantsDeps, input: { name: string; timezone?: string }): Promise<Tenant> {
  const timezone = input.timezone ?? "UTC";
  if (!isValidTimeZone(timezone)) throw new AppError("tenants.timezone_invalid", 400, `unknown time zone "${timezone}"; use an IANA name such as America/New_York`);
  const now = deps.clock.now();
  const tenant: Tenant = { id: randomUUID(), name: input.name, timezone, createdAt: now, updatedAt: now };
  if ((await deps.tenants.insertTenant(tenant)) === "name_taken") throw conflict("tenants.name_taken", `a tenant named "${input.name}" already exists`);
  return tenant;
}

export async function updateTenant(deps: TenantsDeps, tenantId: string, changes: { name?: string; timezone?: string }): Promise<Tenant> {
  if (changes.timezone !== undefined && !isValidTimeZone(changes.timezone)) {
    throw new AppError("tenants.timezone_invalid", 400, `unknown time zone "${changes.timezone}"; use an IANA name such as America/New_York`);
  }
  const updated = await deps.tenants.updateTenant(tenantId, changes, deps.clock.now());
  if (updated === "name_taken") throw conflict("tenants.name_taken", `a tenant named "${changes.name}" already exists`);
  if (!updated) throw tenantNotFound(tenantId);
  return updated;
}

export async function requireTenant(deps: TenantsDeps, tenantId: string): Promise<Tenant> {
  const tenant = await deps.tenants.findTenant(tenantId);
  if (!tenant) throw tenantNotFound(tenantId);
  return tenant;
}

export async function createApiKey(
  deps: TenantsDeps,
  tenantId: string,
  input: { name: string; scopes?: readonly ApiKeyScope[] },
): Promise<{ apiKey: ApiKeyRecord; key: string }> {
  await requireTenant(deps, tenantId);
  const key = `sc_${randomBytes(32).toString("base64url")}`;
  const apiKey: ApiKeyRecord = {
    id: randomUUID(),
    tenantId,
    name: input.name,
    keyPrefix: key.slice(0, keyPrefixLength),
    scopes: [...new Set(input.scopes ?? defaultApiKeyScopes)],
    createdAt: deps.clock.now(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.tenants.insertApiKey({ ...apiKey, keyHash: hashSecret(key) });
  return { apiKey, key };
}

export async function listApiKeys(deps: TenantsDeps, tenantId: string): Promise<ApiKeyRecord[]> {
  await requireTenant(deps, tenantId);
  return deps.tenants.listApiKeys(tenantId);
}

export async function revokeApiKey(deps: TenantsDeps, tenantId: string, keyId: string): Promise<ApiKeyRecord> {
  const revoked = await deps.tenants.revokeApiKey(tenantId, keyId, deps.clock.now());
  if (!revoked) throw notFound("api_keys.not_found", `tenant ${tenantId} has no API key ${keyId}`);
  return revoked;
}

/** The tenant behind an `x-api-key` header, if the key is live and carries the scope. */
export async function authenticateApiKey(deps: TenantsDeps, presented: string | undefined, scope: ApiKeyScope | null): Promise<ApiKeyOwner> {
  if (!presented || presented.trim() === "") throw unauthorized("auth.api_key_missing", "send the tenant's API key in the x-api-key header");
  const owner = await deps.tenants.findActiveKeyOwner(hashSecret(presented.trim()));
  if (!owner) throw unauthorized("auth.api_key_invalid", "the API key is unknown or has been revoked");
  if (scope !== null && !owner.scopes.includes(scope)) throw forbidden("auth.scope_missing", `this API key lacks the "${scope}" scope`);
  const now = deps.clock.now();
  if (owner.lastUsedAt === null || now - owner.lastUsedAt >= lastUsedResolutionMs) await deps.tenants.touchApiKey(owner.keyId, now);
  return owner;
}

function tenantNotFound(tenantId: string): AppError {
  return notFound("tenants.not_found", `no tenant ${tenantId}`);
}
