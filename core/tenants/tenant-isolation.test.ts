/**
 * Tenant isolation across every tenant route: one tenant's key never reads, counts, changes or is
 * handed anything of another tenant's (calls, their history, DIDs, statistics, disposition meanings).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type CoreTestBench, openCoreTestBench } from "./tenants.testing.ts";

let bench: CoreTestBench;
let acme: { id: string; key: string };
let beta: { id: string; key: string };
let acmeDidId: string;

/** Strings only Acme's data holds (Beta's own queries echo what it asks, so these are never asked). */
const acmeMarkers = () => ["4155550101", "acme-agent-7", acmeDidId];

beforeAll(async () => {
  bench = await openCoreTestBench();
  acme = await bench.createTenant("Acme");
  beta = await bench.createTenant("Beta");
  const did = await bench.call("POST", "/api/v1/dids", { key: acme.key, body: { phone_number: "4155550101", campaign_id: "ACMESECRET", state: "CA", daily_limit: 50 } });
  acmeDidId = did.body.data[0].id;
  await bench.call("POST", "/api/v1/dids", { key: beta.key, body: { phone_number: "6465550199", campaign_id: "BETA", state: "NY" } });
  const next = await bench.call("GET", "/api/v1/dids/next?campaign_id=ACMESECRET&customer_phone=4155551234&uniqueid=1768467600.77", { key: acme.key });
  expect(next.body.did.phone_number).toBe("4155550101");
  for (const disposition of ["INCALL", "SALE"]) {
    const call = { uniqueid: "1768467600.77", leadId: 7, campaignId: "ACMESECRET", phoneNumber: "4155551234", disposition, duration: 30, agentId: "acme-agent-7", callDate: "2026-01-15 09:00:00", startEpoch: 1_768_467_600, endEpoch: 1_768_467_630 };
    expect((await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: call })).status).toBe(200);
  }
  expect((await bench.call("PUT", "/api/v1/dispositions/SALE", { key: acme.key, body: { result: "machine" } })).status).toBe(200);
});
afterAll(() => bench.dispose());

describe("tenant isolation", () => {
  test("nothing Beta reads holds anything of Acme's", async () => {
    const reads = [
      "/api/v1/call-results/1768467600.77",
      "/api/v1/dispositions",
      "/api/v1/stats/dids",
      "/api/v1/stats/campaigns",
      "/api/v1/stats/hours",
      "/api/v1/stats/dids?campaign_id=ACMESECRET",
      "/api/v1/dids",
      "/api/v1/dids?campaign_id=ACMESECRET",
      "/api/v1/dids/next?campaign_id=ACMESECRET&customer_phone=4155551234",
    ];
    for (const path of reads) {
      const response = await bench.call("GET", path, { key: beta.key });
      const text = JSON.stringify(response.body);
      for (const marker of acmeMarkers()) expect({ path, leaked: text.includes(marker) }).toEqual({ path, leaked: false });
    }
    expect((await bench.call("GET", "/api/v1/call-results/1768467600.77", { key: beta.key })).status).toBe(404);
    // Acme's SALE means "machine" for Acme only.
    const dispositions = (await bench.call("GET", "/api/v1/dispositions", { key: beta.key })).body.data as Array<{ status: string; result: string; source: string }>;
    expect(dispositions.find((entry) => entry.status === "SALE")).toEqual({ status: "SALE", result: "answered", source: "default" });
    const betaStats = (await bench.call("GET", "/api/v1/stats/campaigns", { key: beta.key })).body;
    expect(JSON.stringify(betaStats)).not.toContain("ACMESECRET");
  });

  test("Beta cannot change Acme's DIDs, calls or meanings, and Acme sees its own unchanged", async () => {
    expect((await bench.call("PATCH", `/api/v1/dids/${acmeDidId}`, { key: beta.key, body: { active: false } })).status).toBe(404);
    expect((await bench.call("DELETE", `/api/v1/dids/${acmeDidId}`, { key: beta.key })).status).toBe(404);
    // The same number and uniqueid under Beta are Beta's own records, not a write to Acme's.
    expect((await bench.call("POST", "/api/v1/dids", { key: beta.key, body: { phone_number: "4155550101", campaign_id: "BETA", daily_limit: 1 } })).status).toBe(201);
    const betaCall = await bench.call("POST", "/api/v1/call-results", { key: beta.key, body: { uniqueid: "1768467600.77", disposition: "NA" } });
    expect(betaCall.body.data.outcome).toBe("created");
    expect((await bench.call("DELETE", "/api/v1/dispositions/SALE", { key: beta.key })).status).toBeLessThan(500);

    const acmeDids = (await bench.call("GET", "/api/v1/dids", { key: acme.key })).body.data as Array<{ id: string; phone_number: string; active: boolean; campaign_id: string; daily_limit: number }>;
    expect(acmeDids).toHaveLength(1);
    expect(acmeDids[0]).toMatchObject({ id: acmeDidId, phone_number: "4155550101", active: true, campaign_id: "ACMESECRET", daily_limit: 50 });
    const acmeCall = await bench.call("GET", "/api/v1/call-results/1768467600.77", { key: acme.key });
    expect(acmeCall.body.data).toMatchObject({ disposition: "SALE", result: "machine", agentId: "acme-agent-7" });
    expect(acmeCall.body.history).toHaveLength(1);
    const acmeMeanings = (await bench.call("GET", "/api/v1/dispositions", { key: acme.key })).body.data as Array<{ status: string; result: string }>;
    expect(acmeMeanings.find((entry) => entry.status === "SALE")?.result).toBe("machine");
  });

  test("a tenant's key cannot manage tenants or another tenant's keys", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/admin/tenants"],
      ["GET", `/api/v1/admin/tenants/${acme.id}`],
      ["GET", `/api/v1/admin/tenants/${acme.id}/api-keys`],
      ["POST", `/api/v1/admin/tenants/${acme.id}/api-keys`],
    ] as const) {
      const response = await bench.call(method, path, { key: beta.key, headers: { authorization: `Bearer ${beta.key}` }, body: method === "POST" ? { name: "stolen", scopes: ["stats"] } : undefined });
      expect(response.status).toBe(401);
    }
  });
});
