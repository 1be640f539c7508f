/**
 * A 200-lead studio campaign dialled through the Twilio stand-in: humans, machines (with the lead's
 * voicemail dropped after the beep), unknowns, busy, no answer, failed, duplicated and reordered
 * callbacks, and missing AMD verdicts. Every call must end in its right state and no lead may be
 * dialled twice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestPipeline, waitFor } from "../testing/pipeline-test-kit.ts";
import { type DialerBench, dialerBaseUrl, openDialerBench } from "./testing/dialer-test-kit.ts";
import type { CallScenario } from "./testing/twilio-stand-in.ts";

const leadCount = 200;
const phoneOf = (index: number) => `+1555200${String(index).padStart(4, "0")}`;
const indexOf = (phone: string) => Number(phone.slice(-4));

/** What lead `index` does when called, and the end the dialer must record for it. */
function planOf(index: number): { scenario: CallScenario; expect: string[] } {
  const duplicates = index % 7 === 0;
  switch (index % 10) {
    case 0:
    case 1:
      return { scenario: { answer: "human", duplicates, talkMs: 30, patienceMs: 600_000 }, expect: ["completed", "abandoned"] };
    case 2:
      return { scenario: { answer: "human", order: "amd-first", duplicates, talkMs: 30, patienceMs: 600_000 }, expect: ["completed", "abandoned"] };
    case 3:
      return { scenario: { answer: "machine", duplicates }, expect: ["voicemail"] };
    case 4:
      return { scenario: { answer: "machine", order: "completed-before-amd", duplicates }, expect: ["hangup_before_verdict"] };
    case 5:
      return { scenario: { answer: "unknown", duplicates, talkMs: 30, patienceMs: 600_000 }, expect: ["completed", "abandoned"] };
    case 6:
      return { scenario: { answer: "busy", duplicates }, expect: ["busy"] };
    case 7:
      return { scenario: { answer: "no-answer", duplicates }, expect: ["no_answer"] };
    case 8:
      return { scenario: { answer: "failed", duplicates }, expect: ["failed"] };
    default:
      return { scenario: { answer: "human", amd: "missing", duplicates, talkMs: 30, patienceMs: 600_000 }, expect: ["completed", "abandoned"] };
  }
}

let bench: DialerBench;
beforeAll(async () => {
  bench = await openDialerBench((to) => planOf(indexOf(to)).scenario);
  const studio = (method: string, path: string, body?: unknown, type = "application/json") =>
    bench.core.admin(path, { method, body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": type } });
  expect((await studio("POST", "/api/v1/studio/campaigns", { id: "SPRING", name: "Spring offer", language: "en" })).status).toBe(201);
  const csv = ["lead_id,vendor_lead_code,phone_number,first_name", ...Array.from({ length: leadCount }, (_, index) => `${5000 + index},V-${index},${phoneOf(index)},Lead${index}`)].join("\r\n");
  expect((await studio("PUT", "/api/v1/studio/campaigns/SPRING/leads", csv, "text/csv")).status).toBe(200);
  expect((await studio("PUT", "/api/v1/studio/campaigns/SPRING/script", { slots: { greeting: "Hello.", voicemail: "Sorry we missed you. Please call us back." } })).status).toBe(200);
  await studio("POST", "/api/v1/studio/campaigns/SPRING/generate");
  const pipeline = startTestPipeline(bench.core, { vad: false });
  try {
    await waitFor("the studio campaign to be ready", async () => ((await (await studio("GET", "/api/v1/studio/campaigns/SPRING")).json()) as any).state === "ready", 120_000);
  } finally {
    await pipeline.stop();
  }
}, 180_000);
afterAll(async () => {
  await bench.dispose();
});

describe("a 200-lead campaign end to end", () => {
  test("every call ends in its right state, machines get their voicemail, humans reach an agent or are recorded as abandoned", async () => {
    const created = await bench.json("POST", "/api/campaign", { campaign_id: "SPRING", machine_policy: "voicemail", unknown_policy: "connect", lines_per_agent: 3, wait_limit_seconds: 20 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: "SPRING", name: "SPRING", leads: { total: leadCount, pending: leadCount } });
    for (const agent of ["alice", "bob", "carol"]) await bench.joinAgent("SPRING", agent);
    expect((await bench.json("POST", "/api/campaign/SPRING/dial-next")).status).toBe(200);

    // The settlement loop runs on the core's clock: one second of it per 50 ms here.
    const done = async () => {
      const { body } = await bench.json("GET", "/api/campaign/SPRING");
      return body.leads.pending === 0 && (body.calls.by_state.ended ?? 0) === leadCount ? body : null;
    };
    let view: any = null;
    const deadline = Date.now() + 100_000;
    while (!(view = await done())) {
      if (Date.now() > deadline) throw new Error(`the campaign did not finish: ${JSON.stringify((await bench.json("GET", "/api/campaign/SPRING")).body)}`);
      await bench.settle(1_000);
      await Bun.sleep(50);
    }
    await bench.twilio.settled();

    // One call per lead at Twilio: nothing dialled twice.
    const twilioCalls = [...bench.twilio.calls.values()];
    expect(twilioCalls).toHaveLength(leadCount);
    expect(new Set(twilioCalls.map((call) => call.to)).size).toBe(leadCount);
    expect(twilioCalls.every((call) => call.endedAt !== null)).toBe(true);

    const calls = await bench.core.deps.dialer!.dialer.listCalls("SPRING");
    const wrong = calls.filter((call) => !planOf(indexOf(call.phoneNumber)).expect.includes(call.reason ?? "")).map((call) => [call.phoneNumber, call.reason, call.answeredBy]);
    expect(wrong).toEqual([]);
    const atTwilio = new Map(twilioCalls.map((call) => [call.to, call]));
    for (const call of calls) {
      const simulated = atTwilio.get(call.phoneNumber)!;
      expect(call.callSid).toBe(simulated.sid);
      const plan = planOf(indexOf(call.phoneNumber)).scenario;
      // Every machine was dropped its voicemail or had hung up already; none reached an agent.
      if (plan.answer === "machine") expect(simulated.bridged).toBe(false);
      if (call.reason === "voicemail") expect(simulated.updates).toEqual([{ Twiml: expect.stringContaining(`<Play>${dialerBaseUrl}/api/voice/voicemail/${call.id}.wav</Play><Hangup/>`) }]);
      // Every human reached the conference, or heard the apology and is counted as abandoned.
      if (call.reason === "completed") expect([simulated.bridged, call.agentIdentity !== null]).toEqual([true, true]);
      if (call.reason === "abandoned") expect(simulated.bridged).toBe(false);
      if (plan.amd === "missing") expect([call.answeredBy, call.verdictSource]).toEqual(["unknown", "timeout"]);
    }
    expect(view.calls.by_reason).toMatchObject({ voicemail: 20, hangup_before_verdict: 20, busy: 20, no_answer: 20, failed: 20 });
    expect(view.calls.by_reason.completed).toBeGreaterThan(0);
    expect(view.abandon.humans).toBe(calls.filter((call) => call.reason === "completed" || call.reason === "abandoned").length);
    expect(view.agents.map((agent: any) => agent.state)).toEqual(["available", "available", "available"]);

    // The voicemail Twilio fetches is the lead's spoken line.
    const voicemail = calls.find((call) => call.reason === "voicemail")!;
    const audio = await bench.core.app.request(`/api/voice/voicemail/${voicemail.id}.wav`);
    expect(audio.status).toBe(200);
    expect(new TextDecoder().decode(new Uint8Array(await audio.arrayBuffer()).subarray(0, 4))).toBe("RIFF");
    const notVoicemail = calls.find((call) => call.reason === "busy")!;
    expect((await bench.core.app.request(`/api/voice/voicemail/${notVoicemail.id}.wav`)).status).toBe(404);
  }, 150_000);
});
