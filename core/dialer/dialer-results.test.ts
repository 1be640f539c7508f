import { afterEach, describe, expect, test } from "bun:test";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { type DialerBench, openDialerBench, twilioPhoneNumber } from "./testing/dialer-test-kit.ts";

let bench: DialerBench | null = null;
afterEach(async () => {
  await bench?.dispose();
  bench = null;
});

async function tenantWithKey(name: string) {
  const tenant = await bench!.json("POST", "/api/v1/admin/tenants", { name });
  const key = await bench!.json("POST", `/api/v1/admin/tenants/${tenant.body.tenant.id}/api-keys`, { name: `${name} key`, scopes: ["call_results", "dids_next", "stats", "manage"] });
  return { id: tenant.body.tenant.id as string, key: key.body.key as string };
}

const withKey = async (key: string, method: string, path: string, body?: unknown) => {
  const response = await bench!.core.app.request(path, { method, headers: { "x-api-key": key, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined }, { remoteAddress: "198.51.100.20" });
  return { status: response.status, body: (await response.json()) as any };
};

describe("dialer results in the call-results store", () => {
  test("each finished call becomes a result of the campaign's tenant, its caller ID chosen from the tenant's DIDs, and the agent's disposition updates it", async () => {
    bench = await openDialerBench((to) => (to.endsWith("1") ? { answer: "human", talkMs: 20 } : to.endsWith("2") ? { answer: "machine" } : { answer: "no-answer" }));
    const tenant = await tenantWithKey("Acme");
    expect((await withKey(tenant.key, "POST", "/api/v1/dids", { dids: [{ phone_number: "+15125550100" }] })).status).toBe(201);
    const created = await bench.json("POST", "/api/campaign", { name: "Acme spring", tenant_id: tenant.id, contacts: ["+15551230001", "+15551230002", "+15551230003"].map((phone_number) => ({ phone_number })) });
    const id = created.body.id as string;
    await bench.joinAgent(id, "alice");
    await bench.json("POST", `/api/campaign/${id}/dial-next`);
    await waitUntil("three calls to end", async () => (await bench!.json("GET", `/api/campaign/${id}`)).body.calls.by_state.ended === 3);

    const calls = await bench.core.deps.dialer!.dialer.listCalls(id);
    expect(calls.map((call) => call.callerId)).toEqual(["+15125550100", "+15125550100", "+15125550100"]);
    expect([...bench.twilio.calls.values()].map((call) => call.from)).toEqual(["+15125550100", "+15125550100", "+15125550100"]);
    const human = calls.find((call) => call.reason === "completed")!;
    const results = await Promise.all(calls.map((call) => withKey(tenant.key, "GET", `/api/v1/call-results/${call.id}`)));
    expect(results.map((result) => [result.body.data.phoneNumber, result.body.data.disposition, result.body.data.result, result.body.data.didNumber])).toEqual([
      // The DID the call was placed from, as the DID store keeps it: the call is attributed to its selection.
      ["+15551230001", "ANSWER", "completed", "5125550100"],
      ["+15551230002", "AA", "machine", "5125550100"],
      ["+15551230003", "NA", "no_answer", "5125550100"],
    ]);
    expect(results[0]!.body.data).toMatchObject({ campaignId: id, agentId: "alice", termReason: "completed", leadId: "1" });

    const saved = await bench.json("POST", `/api/campaign/${id}/disposition`, { call_id: human.id, disposition: "sale" });
    expect(saved.body).toMatchObject({ call_id: human.id, disposition: "SALE" });
    const after = await withKey(tenant.key, "GET", `/api/v1/call-results/${human.id}`);
    expect(after.body.data).toMatchObject({ disposition: "SALE", result: "answered", revision: 2 });
    expect(bench.events.filter((event) => event.type === "disposition_saved")).toEqual([{ type: "disposition_saved", campaign_id: id, call_id: human.id, disposition: "SALE" }]);
    // A call that never reached an agent has nothing to disposition.
    const machine = calls.find((call) => call.reason === "machine_hangup")!;
    expect((await bench.json("POST", `/api/campaign/${id}/disposition`, { call_id: machine.id, disposition: "SALE" })).body.error.code).toBe("dialer.call_not_connected");
    // Another tenant sees none of it.
    const other = await tenantWithKey("Other");
    expect((await withKey(other.key, "GET", `/api/v1/call-results/${human.id}`)).status).toBe(404);
  });

  test("without a tenant's DID pool the caller ID is TWILIO_PHONE_NUMBER", async () => {
    bench = await openDialerBench(() => ({ answer: "busy" }));
    const tenant = await tenantWithKey("NoPool");
    const created = await bench.json("POST", "/api/campaign", { name: "x", tenant_id: tenant.id, contacts: [{ phone_number: "+15551230001" }] });
    await bench.json("POST", `/api/campaign/${created.body.id}/dial-next`);
    await waitUntil("the call to end", async () => (await bench!.json("GET", `/api/campaign/${created.body.id}`)).body.calls.by_state.ended === 1);
    expect([...bench.twilio.calls.values()][0]!.from).toBe(twilioPhoneNumber);
    const [call] = await bench.core.deps.dialer!.dialer.listCalls(created.body.id);
    expect((await withKey(tenant.key, "GET", `/api/v1/call-results/${call!.id}`)).body.data).toMatchObject({ disposition: "B", result: "busy", didNumber: null });
  });
});
