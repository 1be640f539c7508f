import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type CoreTestBench, openCoreTestBench } from "../tenants/tenants.testing.ts";

let bench: CoreTestBench;
let acme: { id: string; key: string };
let beta: { id: string; key: string };
const start = Math.floor(Date.UTC(2026, 0, 15, 8, 0, 0) / 1000);

beforeEach(async () => {
  bench = await openCoreTestBench();
  acme = await bench.createTenant("Acme");
  beta = await bench.createTenant("Beta");
  await bench.call("POST", "/api/v1/dids", { key: acme.key, body: { dids: [{ phone_number: "4155550101" }, { phone_number: "4155550102" }] } });
});
afterEach(() => bench.dispose());

async function placeCall(index: number, options: { did: string; campaign: string; hour: number; disposition: string; duration?: number }) {
  const uniqueid = `${start + index}.${index}`;
  const phone = `41555${String(20000 + index).slice(1)}`;
  await bench.database.client.execute({
    sql: "INSERT INTO did_selections (tenant_id, did_id, did_number, campaign_id, customer_phone_key, uniqueid, method, selected_at) SELECT tenant_id, id, phone_number, ?, ?, ?, 'pool', ? FROM dids WHERE phone_number = ? AND tenant_id = ?",
    args: [options.campaign, phone, uniqueid, (start + index) * 1000, options.did, acme.id],
  });
  return {
    uniqueid,
    campaignId: options.campaign,
    phoneNumber: phone,
    disposition: options.disposition,
    duration: options.duration ?? 0,
    startEpoch: start + index,
    callDate: `2026-01-15 ${String(options.hour).padStart(2, "0")}:00:00`,
  };
}

describe("statistics", () => {
  test("answer rate per DID, campaign and hour; machines and unanswered calls count as attempts, calls in progress do not", async () => {
    const plan: Array<[string, string, number, string, number?]> = [
      ["4155550101", "SALES", 9, "SALE", 120],
      ["4155550101", "SALES", 9, "NA"],
      ["4155550101", "SALES", 10, "A"],
      ["4155550101", "SURVEY", 10, "DROP", 3],
      ["4155550102", "SALES", 9, "NA"],
      ["4155550102", "SALES", 9, "AB"],
      ["4155550102", "SALES", 10, "INCALL"],
    ];
    const results = await Promise.all(plan.map(([did, campaign, hour, disposition, duration], index) => placeCall(index, { did, campaign, hour, disposition, duration })));
    const stored = await bench.call("POST", "/api/v1/call-results/batch", { key: acme.key, body: { results } });
    expect(stored.body.data.created).toBe(7);
    const range = `from=${start - 60}&to=${start + 3600}`;

    const byDid = await bench.call("GET", `/api/v1/stats/dids?${range}`, { key: acme.key });
    expect(byDid.status).toBe(200);
    expect(byDid.body.data).toEqual([
      {
        did: "4155550101",
        attempts: 4,
        answered: 2,
        answerRate: 0.5,
        outcomes: { answered: 1, machine: 1, no_answer: 1, busy: 0, disconnected: 0, dropped: 1, dnc: 0, failed: 0, completed: 0 },
        totalDurationSeconds: 123,
      },
      {
        did: "4155550102",
        attempts: 2,
        answered: 0,
        answerRate: 0,
        outcomes: { answered: 0, machine: 0, no_answer: 1, busy: 1, disconnected: 0, dropped: 0, dnc: 0, failed: 0, completed: 0 },
        totalDurationSeconds: 0,
      },
    ]);

    const byCampaign = await bench.call("GET", `/api/v1/stats/campaigns?${range}`, { key: acme.key });
    expect(byCampaign.body.data.map((row: any) => [row.campaignId, row.attempts, row.answerRate])).toEqual([
      ["SALES", 5, 0.2],
      ["SURVEY", 1, 1],
    ]);
    const byHour = await bench.call("GET", `/api/v1/stats/hours?${range}&campaign_id=SALES`, { key: acme.key });
    expect(byHour.body.data.map((row: any) => [row.hour, row.attempts, row.answered])).toEqual([
      [9, 4, 1],
      [10, 1, 0],
    ]);
    const oneDid = await bench.call("GET", `/api/v1/stats/hours?${range}&did=4155550102`, { key: acme.key });
    expect(oneDid.body.data.map((row: any) => row.attempts)).toEqual([2]);

    const empty = await bench.call("GET", `/api/v1/stats/dids?${range}`, { key: beta.key });
    expect(empty.body.data).toEqual([]);
    const outside = await bench.call("GET", `/api/v1/stats/dids?from=2025-01-01&to=2025-02-01`, { key: acme.key });
    expect(outside.body).toMatchObject({ from: "2025-01-01T00:00:00.000Z", data: [] });
  });

  test("refuses bad windows and callers without the stats scope", async () => {
    expect(await bench.call("GET", "/api/v1/stats/dids?from=tomorrow", { key: acme.key })).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(await bench.call("GET", `/api/v1/stats/dids?from=${start}&to=${start - 1}`, { key: acme.key })).toMatchObject({ status: 400, body: { error: { code: "stats.range_invalid" } } });
    expect(await bench.call("GET", "/api/v1/stats/campaigns?from=2020-01-01&to=2026-01-01", { key: acme.key })).toMatchObject({ status: 400, body: { error: { code: "stats.range_too_long" } } });
    expect((await bench.call("GET", "/api/v1/stats/hours")).status).toBe(401);
    const edgeKey = await bench.admin("POST", `/api/v1/admin/tenants/${acme.id}/api-keys`, { name: "edge", scopes: ["call_results"] });
    expect((await bench.call("GET", "/api/v1/stats/dids", { key: edgeKey.body.key })).status).toBe(403);
  });
});
