import { afterEach, describe, expect, test } from "bun:test";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { type DialerBench, dialerBaseUrl, openDialerBench } from "./testing/dialer-test-kit.ts";
import type { CallScenario } from "./testing/twilio-stand-in.ts";

let bench: DialerBench | null = null;
afterEach(async () => {
  await bench?.dispose();
  bench = null;
});

const byNumber = (scenarios: Record<string, CallScenario>) => (to: string) => scenarios[to] ?? { answer: "no-answer" };

async function campaignOf(numbers: string[]) {
  const created = await bench!.json("POST", "/api/campaign", { name: "Spring", contacts: numbers.map((phone_number) => ({ phone_number })) });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function allEnded(campaignId: string, total: number) {
  await waitUntil("every call to end", async () => {
    const { body } = await bench!.json("GET", `/api/campaign/${campaignId}`);
    return body.leads.pending === 0 && (body.calls.by_state.ended ?? 0) === total;
  });
  return (await bench!.json("GET", `/api/campaign/${campaignId}`)).body;
}

describe("Twilio dialer", () => {
  test("a human reaches the agent's conference, a machine is hung up, busy and no-answer end as such", async () => {
    bench = await openDialerBench(
      byNumber({ "+15551230001": { answer: "human" }, "+15551230002": { answer: "machine" }, "+15551230003": { answer: "busy" }, "+15551230004": { answer: "no-answer" } }),
    );
    const id = await campaignOf(["+15551230001", "+15551230002", "+15551230003", "+15551230004"]);
    const agentTwiml = await bench.joinAgent(id, "alice");
    expect(agentTwiml).toContain("<Conference");
    expect(agentTwiml).toContain(">agent-alice</Conference>");
    expect((await bench.json("POST", `/api/campaign/${id}/dial-next`)).status).toBe(200);
    const view = await allEnded(id, 4);
    expect(view.calls.by_reason).toEqual({ completed: 1, machine_hangup: 1, busy: 1, no_answer: 1 });

    const calls = [...bench.twilio.calls.values()];
    const human = calls.find((call) => call.to === "+15551230001")!;
    expect(human.bridged).toBe(true);
    expect(human.twiml.at(-1)).toContain(">agent-alice</Conference>");
    const machine = calls.find((call) => call.to === "+15551230002")!;
    expect(machine.updates).toEqual([{ Status: "completed" }]);
    // Each call was placed with async AMD and signed callbacks to BASE_URL.
    expect(human.createParams).toMatchObject({ MachineDetection: "Enable", AsyncAmd: "true", From: "+15559870002" });
    expect(String(human.createParams.AsyncAmdStatusCallback)).toStartWith(`${dialerBaseUrl}/api/voice/amd-status?call=`);
    expect(bench.events.map((event) => event.type)).toContain("call_connected");
  });

  test("duplicates, reordered callbacks and a missing AMD verdict end every call in its right state", async () => {
    bench = await openDialerBench(
      byNumber({
        "+15551230001": { answer: "human", duplicates: true },
        "+15551230002": { answer: "machine", order: "amd-first" },
        "+15551230003": { answer: "human", order: "completed-before-amd" },
        "+15551230004": { answer: "human", amd: "missing", patienceMs: 120_000 },
        "+15551230005": { answer: "busy", duplicates: true },
      }),
    );
    const id = await campaignOf(["+15551230001", "+15551230002", "+15551230003", "+15551230004", "+15551230005"]);
    await bench.joinAgent(id, "alice");
    await bench.joinAgent(id, "bob");
    await bench.json("POST", `/api/campaign/${id}/dial-next`);
    await waitUntil("four calls to end", async () => ((await bench!.json("GET", `/api/campaign/${id}`)).body.calls.by_state.ended ?? 0) === 4);
    // No verdict yet: the settlement loop waits MachineDetectionTimeout plus the margin, then treats it as unknown (connected).
    await bench.settle(10_000);
    expect((await bench.json("GET", `/api/campaign/${id}`)).body.calls.by_state.ended).toBe(4);
    await bench.settle(30_000);
    const view = await allEnded(id, 5);
    expect(view.calls.by_reason).toEqual({ completed: 2, machine_hangup: 1, hangup_before_verdict: 1, busy: 1 });

    const calls = await bench.core.deps.dialer!.dialer.listCalls(id);
    const of = (phone: string) => calls.find((call) => call.phoneNumber === phone)!;
    expect(of("+15551230001")).toMatchObject({ state: "ended", answeredBy: "human", reason: "completed", twilioStatus: "completed", statusSequence: 3 });
    expect(of("+15551230003")).toMatchObject({ answeredBy: "human", reason: "hangup_before_verdict", bridgedAt: null });
    expect(of("+15551230004")).toMatchObject({ answeredBy: "unknown", verdictSource: "timeout", reason: "completed" });
    expect(of("+15551230005")).toMatchObject({ reason: "busy", answeredAt: null });
    // The duplicated human was redirected once, and its agent had one call.
    const duplicated = [...bench.twilio.calls.values()].find((call) => call.to === "+15551230001")!;
    expect(duplicated.updates.filter((update) => update.Url)).toHaveLength(1);
    expect(bench.events.filter((event) => event.type === "call_ended")).toHaveLength(5);
  });

  test("a human with no free agent waits, then hears the apology and is abandoned; the 3 % rule lowers the lines", async () => {
    bench = await openDialerBench(() => ({ answer: "human", patienceMs: 120_000, talkMs: 60_000 }));
    const created = await bench.json("POST", "/api/campaign", { name: "Busy", lines_per_agent: 3, wait_limit_seconds: 5, contacts: [{ phone_number: "+15551230001" }, { phone_number: "+15551230002" }, { phone_number: "+15551230003" }] });
    const id = created.body.id;
    await bench.joinAgent(id, "alice");
    await bench.json("POST", `/api/campaign/${id}/dial-next`);
    await waitUntil("one bridged and two waiting", async () => {
      const { body } = await bench!.json("GET", `/api/campaign/${id}`);
      return body.calls.by_state.bridged === 1 && body.calls.by_state.human === 2;
    });
    const waiting = (await bench.json("GET", `/api/campaign/${id}`)).body.live_calls.filter((call: any) => call.waiting_since !== null);
    expect(waiting).toHaveLength(2);
    await bench.settle(4_000);
    expect((await bench.json("GET", `/api/campaign/${id}`)).body.calls.by_state.human).toBe(2);
    await bench.settle(2_000);
    await waitUntil("two abandoned", async () => ((await bench!.json("GET", `/api/campaign/${id}`)).body.calls.by_reason.abandoned ?? 0) === 2);
    const view = (await bench.json("GET", `/api/campaign/${id}`)).body;
    expect(view.abandon).toMatchObject({ humans: 3, abandoned: 2 });
    expect(view.lines_per_agent).toBe(1);
    const apologised = [...bench.twilio.calls.values()].filter((call) => call.updates.some((update) => update.Twiml?.includes("<Say>")));
    expect(apologised).toHaveLength(2);
    expect(bench.events.filter((event) => event.type === "lines_lowered").map((event) => event.lines_per_agent)).toEqual([2, 1]);
  });

  test("Twilio's 429 and 5xx are retried, and a create whose answer was lost is adopted instead of placed again", async () => {
    bench = await openDialerBench(() => ({ answer: "busy" }));
    const id = await campaignOf(["+15551230001", "+15551230002", "+15551230003"]);
    await bench.joinAgent(id, "alice");
    bench.twilio.failNext({ status: 429 }, { status: 503 }, { status: 500, afterCreate: true }, { hang: true, afterCreate: true });
    await bench.json("POST", `/api/campaign/${id}/dial-next`);
    const view = await allEnded(id, 3);
    expect(view.calls.by_reason).toEqual({ busy: 3 });
    // Three leads, three calls at Twilio: the lost answers were reconciled, not dialled twice.
    expect(bench.twilio.calls.size).toBe(3);
    expect(new Set([...bench.twilio.calls.values()].map((call) => call.to)).size).toBe(3);
    expect(bench.twilio.requests.filter((request) => request.method === "GET").length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  test("a call Twilio refuses for good ends as place_failed with Twilio's reason", async () => {
    bench = await openDialerBench(() => ({ answer: "invalid-number" }));
    const created = await bench.json("POST", "/api/campaign", { name: "Refused", contacts: [{ phone_number: "+15551230001" }] });
    await bench.json("POST", `/api/campaign/${created.body.id}/dial-next`);
    const view = await allEnded(created.body.id, 1);
    expect(view.calls.by_reason).toEqual({ place_failed: 1 });
    const [call] = await bench.core.deps.dialer!.dialer.listCalls(created.body.id);
    expect(call!.lastError).toContain("400: The 'To' number +15551230001 is not a valid phone number.");
    expect(call!.placeAttempts).toBe(1);
  });

  test("a hang-up Twilio kept refusing is repeated by the settlement loop until the machine is gone", async () => {
    bench = await openDialerBench(() => ({ answer: "machine", amdMs: 300, patienceMs: 60_000 }));
    const id = await campaignOf(["+15551230001"]);
    await bench.joinAgent(id, "alice");
    await bench.json("POST", `/api/campaign/${id}/dial-next`);
    await waitUntil("the call to be answered", async () => (await bench!.core.deps.dialer!.dialer.listCalls(id))[0]?.answeredAt != null);
    bench.twilio.failNext({ status: 500 }, { status: 500 }, { status: 503 }, { status: 500 }, { status: 500 });
    await waitUntil("the hang-up to fail", async () => (await bench!.core.deps.dialer!.dialer.listCalls(id))[0]?.lastError?.startsWith("hangup") === true);
    const [refused] = await bench.core.deps.dialer!.dialer.listCalls(id);
    expect([refused!.state, refused!.reason]).toEqual(["machine", "machine_hangup"]);
    expect(bench.twilio.liveCalls()).toHaveLength(1);
    await bench.settle(5_000);
    expect(bench.twilio.liveCalls()).toHaveLength(1);
    await bench.settle(6_000);
    const view = await allEnded(id, 1);
    expect(view.calls.by_reason).toEqual({ machine_hangup: 1 });
    expect([...bench.twilio.calls.values()][0]!.updates).toEqual([{ Status: "completed" }]);
  }, 60_000);

  test("an agent whose browser leg ends is away and takes no customers; joining again makes them available", async () => {
    bench = await openDialerBench(() => ({ answer: "busy" }));
    const id = await campaignOf(["+15551230001", "+15551230002", "+15551230003"]);
    await bench.joinAgent(id, "alice");
    const left = await bench.twilio.sendWebhook(`${dialerBaseUrl}/api/voice/status`, { CallSid: "CA00000000000000000000000000000042", CallStatus: "completed", From: "client:alice", Direction: "inbound" });
    expect(left.status).toBe(204);
    expect((await bench.json("GET", `/api/campaign/${id}`)).body.agents).toEqual([{ identity: "alice", state: "away", call_id: null }]);
    expect(bench.events.at(-1)).toEqual({ type: "agent_left", campaign_id: id, agent: "alice" });
    // With nobody to take a call, dial next places one line, as the seed's button did.
    expect((await bench.json("POST", `/api/campaign/${id}/dial-next`)).body).toEqual({ placed: 1 });
    await bench.joinAgent(id, "alice");
    expect((await bench.json("GET", `/api/campaign/${id}`)).body.agents).toEqual([{ identity: "alice", state: "available", call_id: null }]);
  });
});
