import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type CoreTestBench, openCoreTestBench, testAdminToken } from "./tenants.testing.ts";

let bench: CoreTestBench;
beforeEach(async () => {
  bench = await openCoreTestBench();
});
afterEach(() => bench.dispose());

describe("admin API: tenants", () => {
  test("creates, lists, reads and renames tenants", async () => {
    const created = await bench.admin("POST", "/api/v1/admin/tenants", { name: "Acme Calls", timezone: "America/New_York" });
    expect(created.status).toBe(201);
    expect(created.body.tenant).toMatchObject({ name: "Acme Calls", timezone: "America/New_York" });
    const id = created.body.tenant.id;
    await bench.admin("POST", "/api/v1/admin/tenants", { name: "Beta Leads" });

    const listed = await bench.admin("GET", "/api/v1/admin/tenants");
    expect(listed.body.tenants.map((tenant: { name: string }) => tenant.name)).toEqual(["Acme Calls", "Beta Leads"]);
    expect((await bench.admin("GET", `/api/v1/admin/tenants/${id}`)).body.tenant.timezone).toBe("America/New_York");

    const renamed = await bench.admin("PATCH", `/api/v1/admin/tenants/${id}`, { name: "Acme Outbound", timezone: "UTC" });
    expect(renamed.status).toBe(200);
    expect(renamed.body.tenant).toMatchObject({ id, name: "Acme Outbound", timezone: "UTC" });
  });

  test("refuses bad input with precise codes", async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ["POST", "/api/v1/admin/tenants", {}, 400, "request.invalid"],
      ["POST", "/api/v1/admin/tenants", { name: "   " }, 400, "request.invalid"],
      ["POST", "/api/v1/admin/tenants", { name: "X", timezone: "Mars/Olympus" }, 400, "tenants.timezone_invalid"],
      ["POST", "/api/v1/admin/tenants", { name: "X", extra: 1 }, 400, "request.invalid"],
      ["GET", "/api/v1/admin/tenants/not-a-uuid", undefined, 400, "request.invalid"],
      ["GET", "/api/v1/admin/tenants/00000000-0000-4000-8000-000000000000", undefined, 404, "tenants.not_found"],
      ["PATCH", "/api/v1/admin/tenants/00000000-0000-4000-8000-000000000000", { name: "Y" }, 404, "tenants.not_found"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await bench.admin(method, path, body);
      expect({ path, status: response.status, code: response.body.error.code }).toEqual({ path, status, code });
    }
    await bench.admin("POST", "/api/v1/admin/tenants", { name: "Taken" });
    const duplicate = await bench.admin("POST", "/api/v1/admin/tenants", { name: "Taken" });
    expect(duplicate).toMatchObject({ status: 409, body: { error: { code: "tenants.name_taken" } } });

    const malformed = await bench.request("/api/v1/admin/tenants", {
      method: "POST",
      headers: { authorization: `Bearer ${testAdminToken}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error.code).toBe("request.malformed_json");
    const form = await bench.request("/api/v1/admin/tenants", { method: "POST", headers: { authorization: `Bearer ${testAdminToken}` }, body: "name=x" });
    expect(((await form.json()) as any).error.code).toBe("request.malformed_json");
  });

  test("requires the admin token", async () => {
    const { key } = await bench.createTenant("Acme");
    const anonymous = await bench.call("GET", "/api/v1/admin/tenants");
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: "auth.missing_token" } } });
    const wrong = await bench.call("POST", "/api/v1/admin/tenants", { body: { name: "Evil" }, headers: { authorization: "Bearer admin-token-0123456789abcdeX" } });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "auth.invalid_token" } } });
    const tenantKey = await bench.call("GET", "/api/v1/admin/tenants", { headers: { authorization: `Bearer ${key}` }, key });
    expect(tenantKey.status).toBe(401);
    expect((await bench.admin("GET", "/api/v1/admin/tenants")).body.tenants).toHaveLength(1);
  });

  test("without ADMIN_TOKEN the admin API is disabled", async () => {
    const unconfigured = await openCoreTestBench({ env: { ADMIN_TOKEN: "" } });
    try {
      const response = await unconfigured.call("GET", "/api/v1/admin/tenants", { headers: { authorization: "Bearer anything-at-all-123456" } });
      expect(response).toMatchObject({ status: 403, body: { error: { code: "admin.disabled" } } });
    } finally {
      unconfigured.dispose();
    }
  });
});

describe("admin API: API keys", () => {
  test("a key is shown once, stored hashed, listed by prefix, and stops working when revoked", async () => {
    const tenant = await bench.admin("POST", "/api/v1/admin/tenants", { name: "Acme" });
    const id = tenant.body.tenant.id;
    const created = await bench.admin("POST", `/api/v1/admin/tenants/${id}/api-keys`, { name: "edge vici1" });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^sc_[A-Za-z0-9_-]{43}$/);
    expect(created.body.apiKey).toMatchObject({ name: "edge vici1", prefix: key.slice(0, 10), scopes: ["call_results", "dids_next", "stats"], revokedAt: null });

    const stored = await bench.database.client.execute("SELECT key_hash, key_prefix FROM api_keys");
    expect(String(stored.rows[0]!.key_hash)).toBe(new Bun.CryptoHasher("sha256").update(key).digest("hex"));
    expect(JSON.stringify(stored.rows)).not.toContain(key);

    const listed = await bench.admin("GET", `/api/v1/admin/tenants/${id}/api-keys`);
    expect(listed.body.apiKeys).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(key);

    expect((await bench.call("POST", "/api/v1/health", { key })).status).toBe(200);
    const lastUsed = await bench.admin("GET", `/api/v1/admin/tenants/${id}/api-keys`);
    expect(lastUsed.body.apiKeys[0].lastUsedAt).not.toBeNull();

    const revoked = await bench.admin("DELETE", `/api/v1/admin/tenants/${id}/api-keys/${created.body.apiKey.id}`);
    expect(revoked.body.apiKey.revokedAt).not.toBeNull();
    expect(await bench.call("POST", "/api/v1/health", { key })).toMatchObject({ status: 401, body: { error: { code: "auth.api_key_invalid" } } });
  });

  test("refuses unknown scopes, unknown tenants and another tenant's key ids", async () => {
    const acme = await bench.createTenant("Acme");
    const beta = await bench.createTenant("Beta");
    const badScope = await bench.admin("POST", `/api/v1/admin/tenants/${acme.id}/api-keys`, { name: "x", scopes: ["root"] });
    expect(badScope).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    const noTenant = await bench.admin("POST", "/api/v1/admin/tenants/00000000-0000-4000-8000-000000000000/api-keys", { name: "x" });
    expect(noTenant).toMatchObject({ status: 404, body: { error: { code: "tenants.not_found" } } });
    const betaKeys = await bench.admin("GET", `/api/v1/admin/tenants/${beta.id}/api-keys`);
    const crossRevoke = await bench.admin("DELETE", `/api/v1/admin/tenants/${acme.id}/api-keys/${betaKeys.body.apiKeys[0].id}`);
    expect(crossRevoke).toMatchObject({ status: 404, body: { error: { code: "api_keys.not_found" } } });
    expect((await bench.call("POST", "/api/v1/health", { key: beta.key })).status).toBe(200);
  });
});
