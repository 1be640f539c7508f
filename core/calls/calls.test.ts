import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type CoreTestBench, openCoreTestBench } from "../tenants/tenants.testing.ts";

let bench: CoreTestBench;
let acme: { id: string; key: string };
let beta: { id: string; key: string };
beforeEach(async () => {
  bench = await openCoreTestBench();
  acme = await bench.createTenant("Acme");
  beta = await bench.createTenant("Beta");
});
afterEach(() => bench.dispose());

/** The seed's request body, as its cron script sent it. */
const seedBody = {
  uniqueid: "1634567890.123",
  leadId: "12345",
  campaignId: "CAMPAIGN001",
  phoneNumber: "5551234567",
  disposition: "SALE",
  duration: 45,
  agentId: "agent001",
  timestamp: 1634567890,
};

function vicidialRow(uniqueid: string, changes: Record<string, unknown> = {}) {
  return {
    uniqueid,
    leadId: 1001,
    listId: 999,
    campaignId: "OUTBND",
    phoneNumber: "4155550100",
    phoneCode: "1",
    disposition: "NA",
    duration: 0,
    agentId: "VDAD",
    userGroup: null,
    termReason: "",
    comments: null,
    altDial: "MAIN",
    calledCount: 1,
    callDate: "2026-01-15 09:00:00",
    startEpoch: 1_768_467_600,
    endEpoch: null,
    ...changes,
  };
}

describe("POST /api/v1/call-results", () => {
  test("records the seed's request and answers the seed's response shape", async () => {
    const response = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: seedBody });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      success: true,
      message: "Call result recorded",
      data: { recordId: expect.any(String), uniqueid: "1634567890.123", disposition: "SALE", result: "answered", outcome: "created" },
    });
  });

  test("a call posted in the seed's body takes its time from timestamp and counts in the statistics", async () => {
    await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: seedBody });
    const read = await bench.call("GET", "/api/v1/call-results/1634567890.123", { key: acme.key });
    expect(read.body.data).toMatchObject({ startEpoch: 1634567890, callDate: null });
    const stats = await bench.call("GET", "/api/v1/stats/campaigns?from=2021-10-18&to=2021-10-19", { key: acme.key });
    expect(stats.status).toBe(200);
    expect(JSON.stringify(stats.body)).toContain("CAMPAIGN001");
    const bad = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: { ...seedBody, timestamp: "last tuesday" } });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(bad.body.error.message).toContain("timestamp");
  });

  test("an identical re-send changes nothing; a changed one updates the record and appends to its history", async () => {
    const first = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: vicidialRow("1768467600.1", { disposition: "INCALL" }) });
    expect(first.body.data).toMatchObject({ outcome: "created", result: "in_progress" });
    const again = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: vicidialRow("1768467600.1", { disposition: "INCALL" }) });
    expect(again.body.data).toMatchObject({ outcome: "unchanged", recordId: first.body.data.recordId });

    await bench.clock.advance(90_000);
    const final = vicidialRow("1768467600.1", { disposition: "SALE", duration: 212, endEpoch: 1_768_467_812, termReason: "AGENT", agentId: "agent7" });
    const updated = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: final });
    expect(updated.body.data).toMatchObject({ outcome: "updated", result: "answered", recordId: first.body.data.recordId });

    const read = await bench.call("GET", "/api/v1/call-results/1768467600.1", { key: acme.key });
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({ uniqueid: "1768467600.1", disposition: "SALE", result: "answered", duration: 212, revision: 2, agentId: "agent7", leadId: "1001" });
    expect(read.body.history).toEqual([
      {
        revision: 2,
        changedAt: expect.any(String),
        changes: { disposition: ["INCALL", "SALE"], duration: [0, 212], agentId: ["VDAD", "agent7"], termReason: ["", "AGENT"], endEpoch: [null, 1_768_467_812] },
      },
    ]);
    const count = await bench.database.client.execute("SELECT count(*) AS n FROM call_results");
    expect(Number(count.rows[0]!.n)).toBe(1);
  });

  test("zero-length calls, empty term_reason, null end_epoch and user_group, VDAD and ISO call dates are valid results", async () => {
    const row = vicidialRow("1768467601.2", { duration: 0, termReason: "", endEpoch: null, userGroup: null, agentId: "VDAD", disposition: "AB", callDate: "2026-01-15T09:00:01.000Z" });
    const response = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: row });
    expect(response.body.data).toMatchObject({ outcome: "created", result: "busy" });
    const zeroDate = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: vicidialRow("1768467601.3", { callDate: "0000-00-00 00:00:00" }) });
    expect(zeroDate.status).toBe(200);
  });

  test("refuses malformed results with the field that is wrong", async () => {
    const cases: Array<[unknown, string]> = [
      [{ leadId: "1" }, "uniqueid"],
      [vicidialRow(""), "uniqueid"],
      [vicidialRow("has space"), "uniqueid"],
      [vicidialRow("1.1", { leadId: "12a" }), "leadId"],
      [vicidialRow("1.1", { duration: "long" }), "duration"],
      [vicidialRow("1.1", { callDate: "yesterday" }), "callDate"],
      [vicidialRow("1.1", { comments: "x".repeat(1001) }), "comments"],
      [vicidialRow("1.1", { campaignId: "bad\u0000id" }), "campaignId"],
      [[vicidialRow("1.1")], ""],
    ];
    for (const [body, field] of cases) {
      const response = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("request.invalid");
      expect(response.body.error.message).toContain(field);
    }
    expect(Number((await bench.database.client.execute("SELECT count(*) AS n FROM call_results")).rows[0]!.n)).toBe(0);
  });

  test("requires a live key with the call_results scope", async () => {
    expect(await bench.call("POST", "/api/v1/call-results", { body: seedBody })).toMatchObject({ status: 401, body: { error: { code: "auth.api_key_missing" } } });
    expect(await bench.call("POST", "/api/v1/call-results", { key: "sc_forged", body: seedBody })).toMatchObject({ status: 401, body: { error: { code: "auth.api_key_invalid" } } });
    const reader = await bench.admin("POST", `/api/v1/admin/tenants/${acme.id}/api-keys`, { name: "dashboard", scopes: ["stats"] });
    const forbidden = await bench.call("POST", "/api/v1/call-results", { key: reader.body.key, body: seedBody });
    expect(forbidden).toMatchObject({ status: 403, body: { error: { code: "auth.scope_missing" } } });
  });

  test("tenants never see or change each other's calls", async () => {
    await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: vicidialRow("1768467600.9", { disposition: "SALE" }) });
    const betaWrite = await bench.call("POST", "/api/v1/call-results", { key: beta.key, body: vicidialRow("1768467600.9", { disposition: "NA" }) });
    expect(betaWrite.body.data.outcome).toBe("created");
    expect((await bench.call("GET", "/api/v1/call-results/1768467600.9", { key: acme.key })).body.data.disposition).toBe("SALE");
    expect((await bench.call("GET", "/api/v1/call-results/1768467600.9", { key: beta.key })).body.data.disposition).toBe("NA");
    expect((await bench.call("GET", "/api/v1/call-results/1768467600.8", { key: beta.key })).status).toBe(404);
    const acmeOnly = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: vicidialRow("1768467600.7") });
    expect(acmeOnly.status).toBe(200);
    expect(await bench.call("GET", "/api/v1/call-results/1768467600.7", { key: beta.key })).toMatchObject({ status: 404, body: { error: { code: "call_results.not_found" } } });
  });
});

describe("POST /api/v1/call-results/batch", () => {
  test("stores every valid row, rejects each invalid one with its reason, and reports per row", async () => {
    const rows = [
      vicidialRow("1768467700.1", { disposition: "SALE", duration: 60 }),
      { uniqueid: "1768467700.2", duration: "sixty" },
      vicidialRow("1768467700.3", { disposition: "A" }),
      "not an object",
      vicidialRow("1768467700.1", { disposition: "SALE", duration: 61 }),
    ];
    const response = await bench.call("POST", "/api/v1/call-results/batch", { key: acme.key, body: { results: rows } });
    expect(response.status).toBe(200);
    expect(response.body.data).toMatchObject({ received: 5, created: 2, updated: 1, rejected: 2 });
    expect(response.body.data.results.map((item: { outcome: string }) => item.outcome)).toEqual(["created", "rejected", "created", "rejected", "updated"]);
    expect(response.body.data.results[1]).toMatchObject({ uniqueid: "1768467700.2", error: { code: "call_results.invalid", message: expect.stringContaining("duration") } });
    // The later copy of a uniqueid in one batch is the newer state.
    expect((await bench.call("GET", "/api/v1/call-results/1768467700.1", { key: acme.key })).body.data.duration).toBe(61);
    expect((await bench.call("GET", "/api/v1/call-results/1768467700.3", { key: acme.key })).body.data.result).toBe("machine");

    const again = await bench.call("POST", "/api/v1/call-results/batch", { key: acme.key, body: { results: [rows[0], rows[2]] } });
    expect(again.body.data).toMatchObject({ received: 2, created: 0, updated: 1, unchanged: 1 });
  });

  test("a uniqueid repeated in one batch (INCALL, SALE, NA) is applied in order, each later row an update with its history", async () => {
    const rows = [
      vicidialRow("1768467800.1", { disposition: "INCALL" }),
      vicidialRow("1768467800.2"),
      vicidialRow("1768467800.1", { disposition: "SALE", duration: 95 }),
      vicidialRow("1768467800.1", { disposition: "SALE", duration: 95 }),
      vicidialRow("1768467800.1", { disposition: "NA", duration: 95 }),
    ];
    const response = await bench.call("POST", "/api/v1/call-results/batch", { key: acme.key, body: { results: rows } });
    expect(response.body.data).toMatchObject({ received: 5, created: 2, updated: 2, unchanged: 1 });
    expect(response.body.data.results.map((item: { outcome: string }) => item.outcome)).toEqual(["created", "created", "updated", "unchanged", "updated"]);
    const recordIds = new Set(response.body.data.results.filter((item: { uniqueid: string }) => item.uniqueid === "1768467800.1").map((item: { recordId: string }) => item.recordId));
    expect(recordIds.size).toBe(1);
    const stored = await bench.call("GET", "/api/v1/call-results/1768467800.1", { key: acme.key });
    expect(stored.body.data).toMatchObject({ disposition: "NA", duration: 95, revision: 3 });
    expect(stored.body.history.map((entry: { revision: number; changes: Record<string, unknown> }) => [entry.revision, entry.changes])).toEqual([
      [2, { disposition: ["INCALL", "SALE"], duration: [0, 95] }],
      [3, { disposition: ["SALE", "NA"] }],
    ]);
  });

  test("impossible call values are refused with the field and the reason; the rest of the batch is stored", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ callDate: "2026-99-99 99:99:99" }, "callDate is not a real date and time: month 99 does not exist"],
      [{ callDate: "2026-02-30 10:00:00" }, "callDate is not a real date and time: day 30 does not exist"],
      [{ callDate: "2026-01-15T09:00:00+99:99" }, "UTC offset +99:99 does not exist"],
      [{ startEpoch: 1_768_467_700, endEpoch: 1_768_467_600 }, "endEpoch (1768467600) is before startEpoch (1768467700)"],
      [{ duration: -5 }, "duration must be at least 0"],
    ];
    const rows = [...cases.map(([changes], index) => vicidialRow(`1768467900.${index}`, changes)), vicidialRow("1768467900.9", { callDate: "0000-00-00 00:00:00", endEpoch: 0 })];
    const response = await bench.call("POST", "/api/v1/call-results/batch", { key: acme.key, body: { results: rows } });
    expect(response.body.data).toMatchObject({ received: cases.length + 1, created: 1, rejected: cases.length });
    cases.forEach(([, message], index) => {
      expect(response.body.data.results[index]).toMatchObject({ outcome: "rejected", error: { code: "call_results.invalid", message: expect.stringContaining(message) } });
    });
    const single = await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: vicidialRow("1768467900.5", { callDate: "2026-99-99 99:99:99" }) });
    expect(single).toMatchObject({ status: 400, body: { error: { code: "request.invalid", message: expect.stringContaining("callDate") } } });
  });

  test("identifiers that are not UTF-8 are refused, never replaced into colliding ones", async () => {
    const encoder = new TextEncoder();
    const [before, after] = JSON.stringify({ results: [vicidialRow("UNIQUEID")] }).split("UNIQUEID").map((part) => encoder.encode(part));
    const bodyWith = (uniqueidBytes: number[]) => new Uint8Array([...before!, ...uniqueidBytes, ...after!]);
    for (const bytes of [[0x31, 0x2e, 0xff], [0x31, 0x2e, 0xfe]]) {
      const response = await bench.request("/api/v1/call-results/batch", { method: "POST", headers: { "x-api-key": acme.key, "content-type": "application/json" }, body: bodyWith(bytes) });
      expect(response.status).toBe(400);
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("request.invalid_utf8");
      // "1." then the bad byte: its offset in the body is named.
      expect(error.message).toContain(`byte ${before!.length + 2} is not part of a valid character`);
    }
    expect(Number((await bench.database.client.execute("SELECT count(*) AS n FROM call_results")).rows[0]!.n)).toBe(0);
  });

  test("refuses batches that are empty, too long, not arrays or over the size limit", async () => {
    const tooMany = Array.from({ length: 1001 }, (_, index) => vicidialRow(`1.${index}`));
    for (const body of [{ results: [] }, { results: tooMany }, { results: "x" }, {}]) {
      const response = await bench.call("POST", "/api/v1/call-results/batch", { key: acme.key, body });
      expect(response).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    }
    const huge = await bench.call("POST", "/api/v1/call-results/batch", { key: acme.key, body: { results: [vicidialRow("1.1", { comments: "x".repeat(5 * 1024 * 1024) })] } });
    expect(huge).toMatchObject({ status: 413, body: { error: { code: "request.body_too_large" } } });
  });

  test("requires the call_results scope", async () => {
    const response = await bench.call("POST", "/api/v1/call-results/batch", { key: "sc_nope", body: { results: [vicidialRow("1.1")] } });
    expect(response.status).toBe(401);
  });
});

describe("POST /api/v1/health", () => {
  test("confirms the key and the database with the seed's fields", async () => {
    await bench.clock.advance(42_000);
    const response = await bench.call("POST", "/api/v1/health", { key: acme.key });
    expect(response).toMatchObject({ status: 200, body: { success: true, status: "healthy", database: "connected", uptime: 42, tenant: { id: acme.id, name: "Acme" } } });
    expect((await bench.call("POST", "/api/v1/health")).status).toBe(401);
    bench.database.close();
    expect((await bench.call("POST", "/api/v1/health", { key: acme.key })).status).toBeGreaterThanOrEqual(500);
  });
});

describe("disposition mapping", () => {
  test("lists the built-in meanings; a tenant override re-derives its stored calls and stays its own", async () => {
    const listed = await bench.call("GET", "/api/v1/dispositions", { key: acme.key });
    const meaning = (status: string) => listed.body.data.find((entry: { status: string }) => entry.status === status);
    expect(meaning("A")).toEqual({ status: "A", result: "machine", source: "default" });
    expect(meaning("B")).toEqual({ status: "B", result: "busy", source: "default" });
    expect(meaning("DROP")).toEqual({ status: "DROP", result: "dropped", source: "default" });

    await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: vicidialRow("1.1", { disposition: "APPT" }) });
    await bench.call("POST", "/api/v1/call-results", { key: beta.key, body: vicidialRow("1.1", { disposition: "APPT" }) });
    const override = await bench.call("PUT", "/api/v1/dispositions/appt", { key: acme.key, body: { result: "answered" } });
    expect(override.body.data).toEqual({ status: "APPT", result: "answered", source: "tenant", recomputed: 1 });
    await bench.call("POST", "/api/v1/call-results", { key: acme.key, body: vicidialRow("1.2", { disposition: "APPT" }) });
    expect((await bench.call("GET", "/api/v1/call-results/1.2", { key: acme.key })).body.data.result).toBe("answered");
    expect((await bench.call("GET", "/api/v1/call-results/1.1", { key: beta.key })).body.data.result).toBe("completed");

    const reverted = await bench.call("DELETE", "/api/v1/dispositions/APPT", { key: acme.key });
    expect(reverted.body.data).toEqual({ status: "APPT", result: "completed", source: "default", recomputed: 2 });
    expect((await bench.call("DELETE", "/api/v1/dispositions/APPT", { key: acme.key })).status).toBe(404);
  });

  test("refuses unknown results and bad statuses; changing the mapping needs the manage scope", async () => {
    expect((await bench.call("PUT", "/api/v1/dispositions/SALE", { key: acme.key, body: { result: "great" } })).status).toBe(400);
    expect((await bench.call("PUT", "/api/v1/dispositions/S%20ALE", { key: acme.key, body: { result: "answered" } })).status).toBe(400);
    const reporter = await bench.admin("POST", `/api/v1/admin/tenants/${acme.id}/api-keys`, { name: "edge" });
    expect((await bench.call("PUT", "/api/v1/dispositions/SALE", { key: reporter.body.key, body: { result: "machine" } })).status).toBe(403);
    expect((await bench.call("GET", "/api/v1/dispositions")).status).toBe(401);
  });
});
