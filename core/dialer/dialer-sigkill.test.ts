/**
 * The core SIGKILLed mid-campaign and started again on the same data: calls in flight keep their
 * state, webhooks Twilio retries during the outage land after the restart, dialling resumes, and no
 * lead is dialled twice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { findFreePort } from "../../shared/testing/free-port.ts";
import { type RunningNodeProcess, startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../../shared/testing/temp-dir.ts";
import { dialerBaseUrl, dialerCoreEnv, twilioAccountSid, twilioAuthToken } from "./testing/dialer-test-kit.ts";
import { type CallScenario, startTwilioStandIn, type TwilioStandIn } from "./testing/twilio-stand-in.ts";

const adminToken = "sigkill-dialer-7c1e9a3f5b2d4680";
const leadCount = 40;
const phoneOf = (index: number) => `+1555300${String(index).padStart(4, "0")}`;
const plans: Array<{ scenario: CallScenario; reasons: string[] }> = [
  { scenario: { answer: "human", ringMs: 150, talkMs: 400, patienceMs: 600_000 }, reasons: ["completed", "abandoned"] },
  { scenario: { answer: "machine", ringMs: 150 }, reasons: ["machine_hangup"] },
  { scenario: { answer: "busy", ringMs: 150 }, reasons: ["busy"] },
  { scenario: { answer: "no-answer", ringMs: 300 }, reasons: ["no_answer"] },
];
const planOf = (phone: string) => plans[Number(phone.slice(-4)) % plans.length]!;

let dir: TempDir;
let twilio: TwilioStandIn;
let core: RunningNodeProcess | null = null;
let coreUrl: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = makeTempDir("salescontrol-dialer-sigkill-");
  const port = await findFreePort();
  coreUrl = `http://127.0.0.1:${port}`;
  twilio = startTwilioStandIn({
    accountSid: twilioAccountSid,
    authToken: twilioAuthToken,
    scenarioFor: (to) => planOf(to).scenario,
    deliver: (url, init) => fetch(url.replace(dialerBaseUrl, coreUrl), init),
    deliveryAttempts: 40,
    deliveryRetryMs: 250,
  });
  env = { ...dialerCoreEnv({ home: dir.path, dataDir: dir.join("core"), port, adminToken, twilioUrl: twilio.url }), TWILIO_TIMEOUT_SECONDS: "1" };
  core = await startNodeProcess(process.execPath, [join(import.meta.dir, "..", "main.ts"), "serve"], { cwd: dir.path, env });
});
afterAll(async () => {
  if (core) await core.stop("SIGTERM");
  await twilio.stop();
  dir.remove();
});

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${coreUrl}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return await response.json();
}

describe("dialer across a SIGKILL", () => {
  test("every call ends in its right state after the restart and no lead is dialled twice", async () => {
    const created = await api("POST", "/api/campaign", { name: "Restart", lines_per_agent: 3, wait_limit_seconds: 30, contacts: Array.from({ length: leadCount }, (_, index) => ({ phone_number: phoneOf(index) })) });
    const id = created.id as string;
    for (const agent of ["alice", "bob"]) {
      const joined = await twilio.connectAgent(`${dialerBaseUrl}/api/voice/dial`, agent, { campaignId: id });
      expect(joined.status).toBe(200);
    }
    await api("POST", `/api/campaign/${id}/dial-next`);
    while (((await api("GET", `/api/campaign/${id}`)).calls.by_state.ended ?? 0) < 8) await Bun.sleep(25);
    expect(twilio.liveCalls().length).toBeGreaterThan(0);
    await core!.stop("SIGKILL");
    core = null;
    await Bun.sleep(500);
    core = await startNodeProcess(process.execPath, [join(import.meta.dir, "..", "main.ts"), "serve"], { cwd: dir.path, env });

    const deadline = Date.now() + 90_000;
    let view = await api("GET", `/api/campaign/${id}`);
    while (view.leads.pending > 0 || (view.calls.by_state.ended ?? 0) < leadCount) {
      if (Date.now() > deadline) throw new Error(`the campaign did not finish after the restart: ${JSON.stringify(view)}`);
      await Bun.sleep(100);
      view = await api("GET", `/api/campaign/${id}`);
    }
    await twilio.settled();
    const calls = [...twilio.calls.values()];
    expect(calls).toHaveLength(leadCount);
    expect(new Set(calls.map((call) => call.to)).size).toBe(leadCount);
    const reasons = Object.entries(view.calls.by_reason as Record<string, number>);
    const expected = { machine_hangup: 10, busy: 10, no_answer: 10 };
    expect(Object.fromEntries(reasons.filter(([reason]) => reason in expected))).toEqual(expected);
    expect((view.calls.by_reason.completed ?? 0) + (view.calls.by_reason.abandoned ?? 0)).toBe(10);
    // Every human answered by Twilio reached an agent's conference or heard the apology.
    for (const call of calls.filter((call) => planOf(call.to).scenario.answer === "human")) {
      expect([call.to, call.bridged || call.updates.some((update) => update.Twiml?.includes("<Say>"))]).toEqual([call.to, true]);
    }
  }, 150_000);
});
