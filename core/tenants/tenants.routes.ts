import { z } from "zod";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import type { ApiKeyRecord, Tenant } from "./tenants.repository.ts";
import { apiKeyScopes, createApiKey, createTenant, listApiKeys, requireTenant, revokeApiKey, type TenantsDeps, updateTenant } from "./tenants.usecases.ts";

const name = z.string().trim().min(1, { message: "name may not be empty" }).max(100, { message: "name may be at most 100 characters" });
const timezone = z.string().trim().min(1).max(64);
const tenantId = z.uuid({ message: "tenant id must be a UUID" });

const createTenantBody = z.object({ name, timezone: timezone.optional() }).strict();
const updateTenantBody = z
  .object({ name: name.optional(), timezone: timezone.optional() })
  .strict()
  .refine((body) => body.name !== undefined || body.timezone !== undefined, { message: "give name or timezone to change" });
const createApiKeyBody = z
  .object({
    name,
    scopes: z
      .array(z.enum(apiKeyScopes, { message: `each scope must be one of ${apiKeyScopes.join(", ")}` }))
      .min(1, { message: "a key needs at least one scope" })
      .optional(),
  })
  .strict();

/** Admin routes: the app guards everything under /api/v1/admin with ADMIN_TOKEN (core/admin/admin-auth.ts). */
export function registerTenantAdminRoutes(app: HttpApp, deps: TenantsDeps): void {
  app.post("/api/v1/admin/tenants", async (c) => {
    const body = await readJsonBody(c, createTenantBody);
    return c.json({ tenant: tenantView(await createTenant(deps, body)) }, 201);
  });

  app.get("/api/v1/admin/tenants", async (c) => {
    return c.json({ tenants: (await deps.tenants.listTenants()).map(tenantView) });
  });

  app.get("/api/v1/admin/tenants/:tenantId", async (c) => {
    return c.json({ tenant: tenantView(await requireTenant(deps, tenantId.parse(c.req.param("tenantId")))) });
  });

  app.patch("/api/v1/admin/tenants/:tenantId", async (c) => {
    const id = tenantId.parse(c.req.param("tenantId"));
    return c.json({ tenant: tenantView(await updateTenant(deps, id, await readJsonBody(c, updateTenantBody))) });
  });

  app.post("/api/v1/admin/tenants/:tenantId/api-keys", async (c) => {
    const id = tenantId.parse(c.req.param("tenantId"));
    const created = await createApiKey(deps, id, await readJsonBody(c, createApiKeyBody));
    c.header("Cache-Control", "no-store");
    return c.json({ apiKey: apiKeyView(created.apiKey), key: created.key, note: "store the key now: it is shown only once" }, 201);
  });

  app.get("/api/v1/admin/tenants/:tenantId/api-keys", async (c) => {
    const id = tenantId.parse(c.req.param("tenantId"));
    return c.json({ apiKeys: (await listApiKeys(deps, id)).map(apiKeyView) });
  });

  app.delete("/api/v1/admin/tenants/:tenantId/api-keys/:keyId", async (c) => {
    const id = tenantId.parse(c.req.param("tenantId"));
    const keyId = z.uuid({ message: "key id must be a UUID" }).parse(c.req.param("keyId"));
    return c.json({ apiKey: apiKeyView(await revokeApiKey(deps, id, keyId)) });
  });
}

function tenantView(tenant: Tenant) {
  return { id: tenant.id, name: tenant.name, timezone: tenant.timezone, createdAt: isoTime(tenant.createdAt), updatedAt: isoTime(tenant.updatedAt) };
}

function apiKeyView(key: ApiKeyRecord) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.keyPrefix,
    scopes: key.scopes,
    createdAt: isoTime(key.createdAt),
    lastUsedAt: isoTime(key.lastUsedAt),
    revokedAt: isoTime(key.revokedAt),
  };
}
