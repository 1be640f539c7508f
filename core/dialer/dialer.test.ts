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
});
