/**
 * The Twilio dialer under load: a core (its own process, from source) dials a campaign through the
 * Twilio stand-in (in this process, sending signed webhooks over HTTP) until 500 calls are in flight.
 * Printed: how long a `human` verdict takes to become the redirect request at Twilio, and webhook
 * requests per second with their latency while the 500 calls are live, beside a bare Hono handler
 * (its own process) that answers the same TwiML without state or signature check, in the same run.
 *   bun run bench dialer [calls]
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Hono } from "hono";
import { getExpectedTwilioSignature } from "twilio/lib/webhooks/webhooks.js";
import { holdMusicTwiml } from "../../core/dialer/twilio-webhooks.ts";
import { dialerBaseUrl, dialerCoreEnv, twilioAccountSid, twilioAuthToken, twilioPhoneNumber } from "../../core/dialer/testing/dialer-test-kit.ts";
import { startTwilioStandIn } from "../../core/dialer/testing/twilio-stand-in.ts";
import { startHttpServer } from "../../shared/runtime/http-server.ts";
import { startNodeProcess } from "../../shared/testing/node-process.ts";
import { makeTempDir } from "../../shared/testing/temp-dir.ts";
import { median, percentile, printTable } from "./bench-report.ts";

if (process.argv[2] === "--bare-server") {
  // The baseline: the same TwiML from a Hono handler with no state, no database and no signature check.
  const app = new Hono();
  const twiml = holdMusicTwiml(`${dialerBaseUrl}/api/voice/hold-music.wav`);
  app.post("/api/voice/customer-queue", async (c) => {
    await c.req.text();
    return c.body(twiml, 200, { "content-type": "text/xml; charset=utf-8" });
  });
  const server = startHttpServer({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  console.error(JSON.stringify({ msg: "serving", url: server.url }));
  await new Promise(() => {});
}

const calls = Number(process.argv[2] ?? 500);
const linesPerAgent = 5;
const agents = Math.ceil(calls / linesPerAgent);
const blastRequests = 5_000;
const blastConcurrency = 50;
const root = join(import.meta.dir, "../..");
const dir = makeTempDir("salescontrol-bench-dialer-");
const adminToken = randomBytes(16).toString("hex");

let coreUrl = "";
const webhookMs: number[] = [];
const twilio = startTwilioStandIn({
  accountSid: twilioAccountSid,
  authToken: twilioAuthToken,
  // Everyone answers and is a person who stays on the line: the agents' customers talk, the rest wait in the queue.
  // Phones ring 1–7 s and detection takes 1–3 s, spread over the numbers as real answers are.
  scenarioFor: (to) => {
    const index = Number(to.slice(-4));
    return { answer: "human", ringMs: 500 + (index % 61) * 50, amdMs: 1000 + ((index * 7) % 41) * 50, talkMs: 600_000, patienceMs: 600_000 };
  },
  deliver: async (url, init) => {
    const started = performance.now();
    const response = await fetch(url.replace(dialerBaseUrl, coreUrl), init);
    webhookMs.push(performance.now() - started);
    return response;
  },
});
const env = dialerCoreEnv({ home: dir.path, dataDir: dir.join("core"), port: 0, adminToken, twilioUrl: twilio.url });
const core = await startNodeProcess(process.execPath, [join(root, "core/main.ts"), "serve"], { cwd: dir.path, env });
coreUrl = core.url.replace(/\/$/, "");
const bare = await startNodeProcess(process.execPath, [import.meta.path, "--bare-server"], { cwd: dir.path, env: { PATH: process.env.PATH!, HOME: dir.path } });

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${coreUrl}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as any;
};

/** `count` signed customer-queue webhooks for live calls, `concurrency` at a time; latency per request and requests per second. */
async function blast(baseUrl: string, live: Array<{ id: string; sid: string }>, count: number, concurrency: number) {
  const prepared = Array.from({ length: count }, (_, index) => {
    const call = live[index % live.length]!;
    const path = `/api/voice/customer-queue?call=${call.id}`;
    const params = { AccountSid: twilioAccountSid, ApiVersion: "2010-04-01", CallSid: call.sid, CallStatus: "in-progress", Direction: "outbound-api", From: twilioPhoneNumber, To: "+15550000000" };
    return { path, body: new URLSearchParams(params).toString(), signature: getExpectedTwilioSignature(twilioAuthToken, `${dialerBaseUrl}${path}`, params) };
  });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < prepared.length) {
        const request = prepared[next++]!;
        const at = performance.now();
        const response = await fetch(`${baseUrl}${request.path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": request.signature }, body: request.body });
        const text = await response.text();
        if (response.status !== 200 || !(text.includes("<Play") || text.includes("<Conference"))) failures++;
        latencies.push(performance.now() - at);
      }
    }),
  );
  return { perSecond: count / ((performance.now() - started) / 1000), latencies, failures };
}

try {
  const contacts = Array.from({ length: calls }, (_, index) => ({ phone_number: `+1555400${String(index).padStart(4, "0")}` }));
  const campaign = await api("POST", "/api/campaign", { name: "Bench", contacts, lines_per_agent: linesPerAgent, wait_limit_seconds: 300 });
  for (let index = 0; index < agents; index++) {
    const joined = await twilio.connectAgent(`${dialerBaseUrl}/api/voice/dial`, `agent-${index}`, { campaignId: campaign.id });
    if (joined.status !== 200) throw new Error(`agent ${index}: ${joined.status} ${joined.body}`);
  }
  const dialStarted = performance.now();
  await api("POST", `/api/campaign/${campaign.id}/dial-next`);
  const settled = () => [...twilio.calls.values()].filter((call) => call.verdictSentAt !== null).length;
  while (twilio.calls.size < calls || settled() < calls) await Bun.sleep(50);
  while ([...twilio.calls.values()].filter((call) => call.bridged).length < agents) await Bun.sleep(50);
  const placingSeconds = (performance.now() - dialStarted) / 1000;
  const verdictToRedirect = [...twilio.calls.values()].filter((call) => call.redirectArrivedAt !== null).map((call) => call.redirectArrivedAt! - call.verdictSentAt!);
  const view = await api("GET", `/api/campaign/${campaign.id}`);
  const live = (view.live_calls as Array<{ call_id: string; call_sid: string | null }>).filter((call) => call.call_sid).map((call) => ({ id: call.call_id, sid: call.call_sid! }));
  console.log(`${calls} calls placed and answered in ${placingSeconds.toFixed(1)} s through the stand-in (${agents} agents × ${linesPerAgent} lines); ${live.length} in flight: ${view.calls.by_state.bridged ?? 0} with agents, ${view.calls.by_state.human ?? 0} waiting`);
  console.log(`campaign webhooks while dialling (status, answer, AMD, conference): ${webhookMs.length}, p50 ${median(webhookMs).toFixed(1)} ms, p99 ${percentile(webhookMs, 0.99).toFixed(1)} ms\n`);

  const bareUrl = bare.url.replace(/\/$/, "");
  const rounds = [await blast(bareUrl, live, blastRequests, blastConcurrency), await blast(coreUrl, live, blastRequests, blastConcurrency)];
  const [bareRound, coreRound] = [await blast(bareUrl, live, blastRequests, blastConcurrency), await blast(coreUrl, live, blastRequests, blastConcurrency)];
  const failures = rounds.concat([bareRound, coreRound]).reduce((sum, round) => sum + round.failures, 0);
  printTable(
    ["measured in this run", "requests/s", "p50 ms", "p99 ms"],
    [
      [`bare Hono handler, same TwiML, no state (baseline), ${blastConcurrency} at a time`, bareRound.perSecond, median(bareRound.latencies), percentile(bareRound.latencies, 0.99)],
      [`core: signed customer-queue webhook, ${live.length} calls in flight`, coreRound.perSecond, median(coreRound.latencies), percentile(coreRound.latencies, 0.99)],
      [`human verdict → redirect request at Twilio (${verdictToRedirect.length} calls)`, "", median(verdictToRedirect), percentile(verdictToRedirect, 0.99)],
    ],
  );
  console.log(`\n(first round of each discarded as warm-up; ${failures} failed requests; target: verdict → redirect p99 ≤ 50 ms)`);
  await api("POST", `/api/campaign/${campaign.id}/end`);
} finally {
  await core.stop("SIGTERM");
  await bare.stop("SIGTERM");
  await twilio.stop();
  dir.remove();
}
