import type { Client, Row } from "@libsql/client";
import { nullableNumber } from "../../shared/db/row-values.ts";

export interface Tenant {
  id: string;
  name: string;
  timezone: string;
  createdAt: number;
  updatedAt: number;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  keyPrefix: string;
  scopes: string[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface ApiKeyOwner {
  keyId: string;
  scopes: string[];
  lastUsedAt: number | null;
  tenant: Tenant;
}

export interface TenantsRepository {
  insertTenant(tenant: Tenant): Promise<"inserted" | "name_taken">;
  listTenants(): Promise<Tenant[]>;
  findTenant(id: string): Promise<Tenant | null>;
  updateTenant(id: string, changes: { name?: string; timezone?: string }, now: number): Promise<Tenant | null | "name_taken">;
  insertApiKey(key: ApiKeyRecord & { keyHash: string }): Promise<void>;
  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(tenantId: string, keyId: string, now: number): Promise<ApiKeyRecord | null>;
  findActiveKeyOwner(keyHash: string): Promise<ApiKeyOwner | null>;
  touchApiKey(keyId: string, now: number): Promise<void>;
}

export function createTenantsRepository(client: Client): TenantsRepository {
  return {
    async insertTenant(tenant) {
      const inserted = await client.execute({
        sql: "INSERT INTO tenants (id, name, timezone, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
        args: [tenant.id, tenant.name, tenant.timezone, tenant.createdAt, tenant.updatedAt],
      });
      return inserted.rows.length === 1 ? "inserted" : "name_taken";
    },

    async listTenants() {
      const result = await client.execute("SELECT id, name, timezone, created_at, updated_at FROM tenants ORDER BY name");
      return result.rows.map(tenantOf);
    },

    async findTenant(id) {
      const result = await client.execute({ sql: "SELECT id, name, timezone, created_at, updated_at FROM tenants WHERE id = ?", args: [id] });
      return result.rows[0] ? tenantOf(result.rows[0]) : null;
    },

    async updateTenant(id, changes, now) {
      if (changes.name !== undefined) {
        const clash = await client.execute({ sql: "SELECT 1 FROM tenants WHERE name = ? AND id <> ?", args: [changes.name, id] });
        if (clash.rows.length > 0) return "name_taken";
      }
      const result = await client.execute({
        sql: "UPDATE tenants SET name = coalesce(?, name), timezone = coalesce(?, timezone), updated_at = ? WHERE id = ? RETURNING id, name, timezone, created_at, updated_at",
        args: [changes.name ?? null, changes.timezone ?? null, now, id],
      });
      return result.rows[0] ? tenantOf(result.rows[0]) : null;
    },

    async insertApiKey(key) {
      await client.execute({
        sql: "INSERT INTO api_keys (id, tenant_id, name, key_prefix, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        args: [key.id, key.tenantId, key.name, key.keyPrefix, key.keyHash, JSON.stringify(key.scopes), key.createdAt],
      });
    },

    async listApiKeys(tenantId) {
      const result = await client.execute({
        sql: "SELECT id, tenant_id, name, key_prefix, scopes, created_at, last_used_at, revoked_at FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id",
        args: [tenantId],
      });
      return result.rows.map(apiKeyOf);
    },

    async revokeApiKey(tenantId, keyId, now) {
      const result = await client.execute({
        sql: `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND tenant_id = ?
              RETURNING id, tenant_id, name, key_prefix, scopes, created_at, last_used_at, revoked_at`,
        args: [now, keyId, tenantId],
      });
      return result.rows[0] ? apiKeyOf(result.rows[0]) : null;
    },

    async findActiveKeyOwner(keyHash) {
      const result = await client.execute({
        sql: `SELECT k.id AS key_id, k.scopes, k.last_used_at, t.id, t.name, t.timezone, t.created_at, t.updated_at
              FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
              WHERE k.key_hash = ? AND k.revoked_at IS NULL`,
        args: [keyHash],
      });
      const row = result.rows[0];
      if (!row) return null;
      return {
        keyId: String(row.key_id),
        scopes: JSON.parse(String(row.scopes)) as string[],
        lastUsedAt: nullableNumber(row.last_used_at),
        tenant: tenantOf(row),
      };
    },

    async touchApiKey(keyId, now) {
      await client.execute({ sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?", args: [now, keyId] });
    },
  };
}

function tenantOf(row: Row): Tenant {
  return {
    id: String(row.id),
    name: String(row.name),
    timezone: String(row.timezone),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function apiKeyOf(row: Row): ApiKeyRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    name: String(row.name),
    keyPrefix: String(row.key_prefix),
    scopes: JSON.parse(String(row.scopes)) as string[],
    createdAt: Number(row.created_at),
    lastUsedAt: nullableNumber(row.last_used_at),
    revokedAt: nullableNumber(row.revoked_at),
  };
}
