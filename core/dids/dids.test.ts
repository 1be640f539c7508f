import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type CoreTestBench, openCoreTestBench } from "../tenants/tenants.testing.ts";

let bench: CoreTestBench;
let acme: { id: string; key: string };
let beta: { id: string; key: string };
let draws: number[];
beforeEach(async () => {
  draws = [];
  let seed = 12345;
  bench = await openCoreTestBench({
    random: () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const value = seed / 2147483648;
      draws.push(value);
      return value;
    },
  });
  acme = await bench.createTenant("Acme");
  beta = await bench.createTenant("Beta");
});
afterEach(() => bench.dispose());

const nextDid = (key: string, query: Record<string, string>) => bench.call("GET", `/api/v1/dids/next?${new URLSearchParams(query)}`, { key });

async function importDids(key: string, dids: unknown[]) {
  const response = await bench.call("POST", "/api/v1/dids", { key, body: { dids } });
  if (response.status >= 300) throw new Error(JSON.stringify(response.body));
  return response.body;
}

describe("DID pools", () => {
  test("imports DIDs (re-running updates), lists them by campaign, edits and retires them", async () => {
    const first = await importDids(acme.key, [
      { phone_number: "+1 (415) 555-0101", campaign_id: "SALES", daily_limit: 200 },
      { phone_number: "2125550102", state: "ny" },
    ]);
    expect(first).toMatchObject({ created: 2, updated: 0 });
    expect(first.data[0]).toMatchObject({ phone_number: "4155550101", area_code: "415", campaign_id: "SALES", daily_limit: 200, active: true });
    expect(first.data[1]).toMatchObject({ phone_number: "2125550102", area_code: "212", state: "NY", campaign_id: null });
    const again = await bench.call("POST", "/api/v1/dids", { key: acme.key, body: { phone_number: "4155550101", campaign_id: "SALES", daily_limit: 150 } });
    expect(again).toMatchObject({ status: 200, body: { created: 0, updated: 1, data: [{ daily_limit: 150 }] } });

    const sales = await bench.call("GET", "/api/v1/dids?campaign_id=SALES", { key: acme.key });
    expect(sales.body.data.map((did: { phone_number: string }) => did.phone_number)).toEqual(["4155550101"]);
    expect(sales.body.data[0]).toMatchObject({ daily_usage: 0, attempts: 0, answer_rate: null });

    const id = sales.body.data[0].id;
    const patched = await bench.call("PATCH", `/api/v1/dids/${id}`, { key: acme.key, body: { daily_limit: null, latitude: 37.7, longitude: -122.4 } });
    expect(patched.body.data).toMatchObject({ daily_limit: null, latitude: 37.7, longitude: -122.4, campaign_id: "SALES" });
    const retired = await bench.call("DELETE", `/api/v1/dids/${id}`, { key: acme.key });
    expect(retired.body.data.active).toBe(false);
    expect((await bench.call("GET", "/api/v1/dids?active=true", { key: acme.key })).body.data).toHaveLength(1);
  });

  test("refuses malformed DIDs, naming the field and the form it expects", async () => {
    const cases: Array<[unknown, string]> = [
      [{ dids: [] }, "dids: may not be empty"],
      [{ phone_number: "call me" }, 'phone_number: must be a phone number: digits, spaces and + ( ) . - only, such as "+1 415 555 0101"'],
      [{ phone_number: 4155550101 }, "phone_number: must be a phone number as text"],
      [{ phone_number: "123" }, "123"],
      [{ phone_number: "4155550101", latitude: 37 }, "give latitude and longitude together"],
      [{ phone_number: "4155550101", latitude: 999, longitude: -122 }, "latitude: must be from -90 to 90 degrees"],
      [{ phone_number: "4155550101", latitude: 37, longitude: "west" }, "longitude: must be a number of degrees from -180 to 180"],
      [{ phone_number: "4155550101", daily_limit: 0 }, "daily_limit: must be at least 1 call a day (null for no limit)"],
      [{ phone_number: "4155550101", daily_limit: -5 }, "daily_limit: must be at least 1 call a day"],
      [{ phone_number: "4155550101", daily_limit: 2.5 }, "daily_limit: must be a whole number of calls"],
      [{ phone_number: "4155550101", state: "California" }, "state: must be a two-letter state code such as CA"],
      [{ phone_number: "4155550101", owner: "someone else" }, "owner"],
      [{ dids: [{ phone_number: "4155550101" }, { phone_number: "bad!" }] }, "dids.1.phone_number: must be a phone number"],
      [{ dids: [{ phone_number: "4155550101" }, { phone_number: "14155550101" }] }, ""],
    ];
    for (const [body, message] of cases) {
      const response = await bench.call("POST", "/api/v1/dids", { key: acme.key, body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.error.message).not.toBe("Invalid input");
      expect(response.body.error.message).toContain(message);
    }
    expect((await bench.call("PATCH", "/api/v1/dids/not-a-uuid", { key: acme.key, body: { active: false } })).status).toBe(400);
    expect((await bench.call("PATCH", "/api/v1/dids/00000000-0000-4000-8000-000000000000", { key: acme.key, body: {} })).status).toBe(400);
  });

  test("one tenant can neither see, change nor be handed another tenant's DIDs", async () => {
    const acmeDids = await importDids(acme.key, [{ phone_number: "4155550101" }]);
    await importDids(beta.key, [{ phone_number: "6465550199" }]);
    expect((await bench.call("GET", "/api/v1/dids", { key: beta.key })).body.data.map((did: { phone_number: string }) => did.phone_number)).toEqual(["6465550199"]);
    const foreign = await bench.call("PATCH", `/api/v1/dids/${acmeDids.data[0].id}`, { key: beta.key, body: { active: false } });
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: "dids.not_found" } } });
    expect((await bench.call("DELETE", `/api/v1/dids/${acmeDids.data[0].id}`, { key: beta.key })).status).toBe(404);
    for (let index = 0; index < 5; index++) {
      expect((await nextDid(beta.key, { campaign_id: "X", customer_phone: "4155551234" })).body.did.phone_number).toBe("6465550199");
    }
    expect((await bench.call("GET", "/api/v1/dids", { key: acme.key })).body.data[0].active).toBe(true);
  });

  test("managing DIDs needs the manage scope; reading needs stats", async () => {
    const edgeKey = await bench.admin("POST", `/api/v1/admin/tenants/${acme.id}/api-keys`, { name: "edge", scopes: ["call_results", "dids_next"] });
    expect((await bench.call("POST", "/api/v1/dids", { key: edgeKey.body.key, body: { phone_number: "4155550101" } })).status).toBe(403);
    expect((await bench.call("GET", "/api/v1/dids", { key: edgeKey.body.key })).status).toBe(403);
    expect((await bench.call("GET", "/api/v1/dids")).status).toBe(401);
  });
});

describe("GET /api/v1/dids/next", () => {
  test("hands out a DID with the customer's area code and logs the selection with the call's identity", async () => {
    await importDids(acme.key, [{ phone_number: "4155550101" }, { phone_number: "2125550102" }, { phone_number: "3125550103" }]);
    const response = await nextDid(acme.key, { campaign_id: "SALES", customer_phone: "1-212-555-7788", agent_id: "agent7", lead_id: "991", uniqueid: "1768467600.44" });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      success: true,
      did: { phone_number: "2125550102", area_code: "212", state: null, daily_usage: 1, daily_limit: null, answer_rate: 0.3 },
      metadata: { selection_id: expect.any(Number), selection_method: "area_code", pool_size: 3, available: 3, candidates: 1, fallback_used: false },
    });
    const logged = await bench.database.client.execute("SELECT did_number, campaign_id, customer_phone_key, lead_id, uniqueid, agent_id, method FROM did_selections");
    expect(logged.rows.map((row) => ({ ...row }) as Record<string, unknown>)).toEqual([
      { did_number: "2125550102", campaign_id: "SALES", customer_phone_key: "2125557788", lead_id: "991", uniqueid: "1768467600.44", agent_id: "agent7", method: "area_code" },
    ]);
  });

  test("a campaign's own DIDs come first; campaigns without any draw on the shared pool", async () => {
    await importDids(acme.key, [{ phone_number: "4155550101", campaign_id: "SALES" }, { phone_number: "4155550102" }]);
    for (let index = 0; index < 4; index++) {
      expect((await nextDid(acme.key, { campaign_id: "SALES", customer_phone: "4155551234" })).body.did.phone_number).toBe("4155550101");
      expect((await nextDid(acme.key, { campaign_id: "OTHER", customer_phone: "4155551234" })).body.did.phone_number).toBe("4155550102");
    }
  });

  test("without a local DID: the nearest by area-code centroid, else the customer's state, else any", async () => {
    await importDids(acme.key, [{ phone_number: "5105550101" }, { phone_number: "2135550102", state: "CA" }, { phone_number: "2125550103", state: "NY" }]);
    const areaCodes = await bench.admin("PUT", "/api/v1/admin/area-codes", {
      areaCodes: [
        { areaCode: "415", state: "CA", latitude: 37.77, longitude: -122.42 },
        { areaCode: "510", state: "CA", latitude: 37.8, longitude: -122.27 },
        { areaCode: "213", state: "CA", latitude: 34.05, longitude: -118.24 },
        { areaCode: "212", state: "NY", latitude: 40.71, longitude: -74.0 },
      ],
    });
    expect(areaCodes.body).toEqual({ success: true, saved: 4 });
    const nearest = await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155551234" });
    expect(nearest.body).toMatchObject({ did: { phone_number: "5105550101", state: "CA" }, metadata: { selection_method: "nearest", fallback_used: true } });
    const byState = await nextDid(acme.key, { campaign_id: "X", customer_phone: "9075551234", customer_state: "ny" });
    expect(byState.body).toMatchObject({ did: { phone_number: "2125550103" }, metadata: { selection_method: "state" } });
    const anywhere = await nextDid(acme.key, { campaign_id: "X", customer_phone: "+44 20 7946 0000" });
    expect(anywhere.body.metadata).toMatchObject({ selection_method: "pool", candidates: 3 });
  });

  test("daily limits are respected: the pool runs dry, then refills the next day", async () => {
    await importDids(acme.key, [{ phone_number: "4155550101", daily_limit: 2 }, { phone_number: "4155550102", daily_limit: 1 }]);
    const picked = [];
    for (let index = 0; index < 3; index++) picked.push((await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155551234" })).body.did.phone_number);
    expect(picked.sort()).toEqual(["4155550101", "4155550101", "4155550102"]);
    const dry = await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155551234" });
    expect(dry).toMatchObject({ status: 409, body: { error: { code: "dids.pool_exhausted" } } });
    await bench.clock.advance(24 * 3_600_000);
    expect((await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155551234" })).status).toBe(200);
  });

  test("concurrent requests never hand out more than a DID's daily limit", async () => {
    await importDids(acme.key, [{ phone_number: "4155550101", daily_limit: 3 }, { phone_number: "4155550102", daily_limit: 2 }]);
    await nextDid(acme.key, { campaign_id: "X" });
    const answers = await Promise.all(Array.from({ length: 12 }, () => nextDid(acme.key, { campaign_id: "X", customer_phone: "4155551234" })));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(4);
    expect(answers.filter((answer) => answer.status === 409)).toHaveLength(8);
    const logged = await bench.database.client.execute("SELECT did_number, count(*) AS n FROM did_selections GROUP BY did_number ORDER BY did_number");
    expect(logged.rows.map((row) => [row.did_number, Number(row.n)])).toEqual([
      ["4155550101", 3],
      ["4155550102", 2],
    ]);
  });

  test("refuses missing campaigns and malformed numbers; an empty pool is a 404", async () => {
    expect((await nextDid(acme.key, { customer_phone: "4155551234" })).status).toBe(400);
    expect((await nextDid(acme.key, { campaign_id: "X", customer_phone: "DROP TABLE" })).status).toBe(400);
    expect((await nextDid(acme.key, { campaign_id: "X", lead_id: "12a" })).status).toBe(400);
    expect(await nextDid(acme.key, { campaign_id: "X" })).toMatchObject({ status: 404, body: { error: { code: "dids.pool_empty" } } });
    const statsOnly = await bench.admin("POST", `/api/v1/admin/tenants/${acme.id}/api-keys`, { name: "dashboard", scopes: ["stats"] });
    expect((await nextDid(statsOnly.body.key, { campaign_id: "X" })).status).toBe(403);
    expect((await bench.call("PUT", "/api/v1/admin/area-codes", { key: acme.key, body: { areaCodes: [] } })).status).toBe(401);
    for (const areaCodes of [[], [{ areaCode: "41", latitude: 1, longitude: 1 }], [{ areaCode: "415", latitude: 91, longitude: 1 }], [{ areaCode: "415" }]]) {
      expect((await bench.admin("PUT", "/api/v1/admin/area-codes", { areaCodes })).status).toBe(400);
    }
  });

  test("results are attributed to the DID presented, by uniqueid or by number and time, and steer later picks", async () => {
    await importDids(acme.key, [{ phone_number: "4155550101" }, { phone_number: "4155550102" }]);
    const startEpoch = Math.floor(bench.clock.now() / 1000);
    const withId = await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155551111", uniqueid: `${startEpoch}.1` });
    const withoutId = await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155552222" });
    const call = (uniqueid: string, phone: string, disposition: string, start = startEpoch + 5) => ({
      uniqueid,
      campaignId: "X",
      phoneNumber: phone,
      disposition,
      startEpoch: start,
      callDate: "2026-01-15 09:00:05",
    });
    const batch = await bench.call("POST", "/api/v1/call-results/batch", {
      key: acme.key,
      body: { results: [call(`${startEpoch}.1`, "4155551111", "SALE"), call(`${startEpoch}.2`, "4155552222", "NA"), call(`${startEpoch}.3`, "4155553333", "NA")] },
    });
    expect(batch.body.data.created).toBe(3);
    const didOf = async (uniqueid: string) => (await bench.call("GET", `/api/v1/call-results/${uniqueid}`, { key: acme.key })).body.data.didNumber;
    expect(await didOf(`${startEpoch}.1`)).toBe(withId.body.did.phone_number);
    expect(await didOf(`${startEpoch}.2`)).toBe(withoutId.body.did.phone_number);
    expect(await didOf(`${startEpoch}.3`)).toBeNull();

    // A number selected long before the call does not claim it.
    await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155554444" });
    await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: call(`${startEpoch}.4`, "4155554444", "NA", startEpoch + 3600) });
    expect(await didOf(`${startEpoch}.4`)).toBeNull();
  });

  test("a DID that people answer gets more of the calls once the pools refresh", async () => {
    const saved = await importDids(acme.key, [{ phone_number: "4155550101" }, { phone_number: "4155550102" }]);
    const [good, bad] = saved.data.map((did: { phone_number: string }) => did.phone_number);
    const now = Math.floor(bench.clock.now() / 1000);
    const results = [];
    for (let index = 0; index < 200; index++) {
      const phone = `41555${String(10000 + index).slice(1)}`;
      const selection = await nextDid(acme.key, { campaign_id: "X", customer_phone: phone, uniqueid: `${now}.${index}` });
      const presented = selection.body.did.phone_number;
      results.push({ uniqueid: `${now}.${index}`, phoneNumber: phone, startEpoch: now, disposition: presented === good ? (index % 2 === 0 ? "SALE" : "NI") : "NA" });
    }
    await bench.call("POST", "/api/v1/call-results/batch", { key: acme.key, body: { results } });
    await bench.clock.advance(31_000);
    await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155559999" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const listed = await bench.call("GET", "/api/v1/dids", { key: acme.key });
    const stats = Object.fromEntries(listed.body.data.map((did: { phone_number: string; answer_rate: number }) => [did.phone_number, did.answer_rate]));
    expect(stats[good]).toBe(1);
    expect(stats[bad]).toBe(0);
    const picks: Record<string, number> = { [good]: 0, [bad]: 0 };
    for (let index = 0; index < 200; index++) {
      const presented: string = (await nextDid(acme.key, { campaign_id: "X", customer_phone: "4155559999" })).body.did.phone_number;
      picks[presented] = (picks[presented] ?? 0) + 1;
    }
    expect(picks[good]!).toBeGreaterThan(picks[bad]! * 5);
  });
});
