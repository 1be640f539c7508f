import { and, asc, eq, getTableColumns, isNull, ne, sql } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { apiKeys, tenants } from "./tenants.schema.ts";

export type Tenant = typeof tenants.$inferSelect;

/** An API key as it is shown: everything but its hash. */
export type ApiKeyRecord = Omit<typeof apiKeys.$inferSelect, "keyHash">;

export interface ApiKeyOwner {
  keyId: string;
  scopes: string[];
  lastUsedAt: number | null;
  tenant: Tenant;
}

const { keyHash: _keyHash, ...shownKeyColumns } = getTableColumns(apiKeys);

export function createTenantsRepository(db: CoreDatabase) {
  return {
    async insertTenant(tenant: Tenant): Promise<"inserted" | "name_taken"> {
      const inserted = await db.insert(tenants).values(tenant).onConflictDoNothing({ target: tenants.name }).returning({ id: tenants.id });
      return inserted.length === 1 ? "inserted" : "name_taken";
    },

    async listTenants(): Promise<Tenant[]> {
      return db.select().from(tenants).orderBy(asc(tenants.name));
    },

    async findTenant(id: string): Promise<Tenant | null> {
      const rows = await db.select().from(tenants).where(eq(tenants.id, id));
      return rows[0] ?? null;
    },

    async updateTenant(id: string, changes: { name?: string; timezone?: string }, now: number): Promise<Tenant | null | "name_taken"> {
      if (changes.name !== undefined) {
        const clash = await db.select({ id: tenants.id }).from(tenants).where(and(eq(tenants.name, changes.name), ne(tenants.id, id)));
        if (clash.length > 0) return "name_taken";
      }
      const rows = await db
        .update(tenants)
        .set({ ...(changes.name === undefined ? {} : { name: changes.name }), ...(changes.timezone === undefined ? {} : { timezone: changes.timezone }), updatedAt: now })
        .where(eq(tenants.id, id))
        .returning();
      return rows[0] ?? null;
    },

    async insertApiKey(key: ApiKeyRecord & { keyHash: string }): Promise<void> {
      await db.insert(apiKeys).values(key);
    },

    async listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
      return db.select(shownKeyColumns).from(apiKeys).where(eq(apiKeys.tenantId, tenantId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
    },

    async revokeApiKey(tenantId: string, keyId: string, now: number): Promise<ApiKeyRecord | null> {
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${now})` })
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.tenantId, tenantId)))
        .returning(shownKeyColumns);
      return rows[0] ?? null;
    },

    async findActiveKeyOwner(keyHash: string): Promise<ApiKeyOwner | null> {
      const rows = await db
        .select({ keyId: apiKeys.id, scopes: apiKeys.scopes, lastUsedAt: apiKeys.lastUsedAt, tenant: getTableColumns(tenants) })
        .from(apiKeys)
        .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)));
      return rows[0] ?? null;
    },

    async touchApiKey(keyId: string, now: number): Promise<void> {
      await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, keyId));
    },
  };
}

export type TenantsRepository = ReturnType<typeof createTenantsRepository>;
