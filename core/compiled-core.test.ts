/**
 * The compiled core as a user runs it: the x64 binary alone in an empty directory, with no Bun and
 * no node_modules reachable. It must ingest a chunk, find its speech with the WASM decoder and VAD
 * embedded in it, transcribe the dialogue through an OpenAI-compatible server and analyse it.
 * Build it first: npm run build.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { startNodeProcess } from "../shared/testing/node-process.ts";
import { makeTempDir, type TempDir } from "../shared/testing/temp-dir.ts";
import { binaryPath } from "../scripts/build.ts";
import { driveCoreThroughAnalysis, transcribingCoreEnv } from "./testing/core-over-http.ts";
import { startOpenAiCompatibleServer } from "./testing/openai-compatible-server.ts";
import { englishSalesCorpus } from "./testing/sales-corpus.ts";
import { dialerBaseUrl, dialerCoreEnv, twilioAccountSid, twilioApiKey, twilioApiSecret, twilioAuthToken, twimlAppSid } from "./dialer/testing/dialer-test-kit.ts";
import { startTwilioStandIn } from "./dialer/testing/twilio-stand-in.ts";

const dirs: TempDir[] = [];
afterAll(() => {
  for (const dir of dirs) dir.remove();
});

/** The x64 core binary copied alone into an empty directory (with a tmp/ for its native addon). */
function coreBinaryAlone(prefix: string): { dir: TempDir; binary: string } {
  const source = binaryPath("core", "x64");
  if (!existsSync(source)) throw new Error(`${source} is missing: run npm run build first`);
  const dir = makeTempDir(prefix);
  dirs.push(dir);
  const binary = dir.join("salescontrol-core");
  copyFileSync(source, binary);
  mkdirSync(dir.join("tmp"));
  return { dir, binary };
}

describe("core-linux-x64", () => {
  test("ingests a chunk, finds its speech, transcribes and analyses the dialogue, from an empty directory", async () => {
    const { dir, binary } = coreBinaryAlone("salescontrol-core-binary-");
    const adminToken = randomUUID();
    const provider = await startOpenAiCompatibleServer({ corpus: englishSalesCorpus });
    const env = { PATH: "/usr/bin:/bin", HOME: dir.path, TMPDIR: dir.join("tmp"), LANG: "C.UTF-8", PORT: "0", HOST: "127.0.0.1", ...transcribingCoreEnv(adminToken, provider.baseUrl) };
    const core = await startNodeProcess(binary, ["serve"], { cwd: dir.path, env });
    try {
      await driveCoreThroughAnalysis(core.url, adminToken, dir.join("data/core/audio"), expect);
    } finally {
      expect(await core.stop("SIGTERM")).toBe(0);
      await provider.stop();
    }
  });

  test("dials through the Twilio stand-in: signed webhooks drive the calls, unsigned ones are refused, agents get Voice tokens", async () => {
    const { dir, binary } = coreBinaryAlone("salescontrol-core-binary-dialer-");
    const adminToken = randomUUID();
    let coreUrl = "";
    const twilio = startTwilioStandIn({
      accountSid: twilioAccountSid,
      authToken: twilioAuthToken,
      apiKeySid: twilioApiKey,
      apiKeySecret: twilioApiSecret,
      scenarioFor: (to) => (to.endsWith("1") ? { answer: "human", talkMs: 50 } : to.endsWith("2") ? { answer: "machine" } : { answer: "busy" }),
      deliver: (url, init) => fetch(url.replace(dialerBaseUrl, coreUrl), init),
    });
    const env = { ...dialerCoreEnv({ home: dir.path, dataDir: dir.join("data"), port: 0, adminToken, twilioUrl: twilio.url }), PATH: "/usr/bin:/bin", TMPDIR: dir.join("tmp"), TWILIO_API_KEY: twilioApiKey, TWILIO_API_SECRET: twilioApiSecret, TWILIO_TWIML_APP_SID: twimlAppSid };
    const core = await startNodeProcess(binary, ["serve"], { cwd: dir.path, env });
    coreUrl = core.url.replace(/\/$/, "");
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${coreUrl}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as any };
    };
    try {
      const token = await api("POST", "/api/token", { identity: "alice" });
      expect([token.status, JSON.parse(Buffer.from(token.body.token.split(".")[1], "base64url").toString()).grants.identity]).toEqual([200, "alice"]);
      const unsigned = await fetch(`${coreUrl}/api/voice/status`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "CallSid=CA1&CallStatus=completed" });
      expect(unsigned.status).toBe(403);
      const campaign = await api("POST", "/api/campaign", { name: "Binary", contacts: ["+15551230001", "+15551230002", "+15551230003"].map((phone_number) => ({ phone_number })) });
      expect((await twilio.connectAgent(`${dialerBaseUrl}/api/voice/dial`, "alice", { campaignId: campaign.body.id })).status).toBe(200);
      await api("POST", `/api/campaign/${campaign.body.id}/dial-next`);
      let view = (await api("GET", `/api/campaign/${campaign.body.id}`)).body;
      for (let waited = 0; (view.calls.by_state.ended ?? 0) < 3 && waited < 200; waited++) {
        await Bun.sleep(100);
        view = (await api("GET", `/api/campaign/${campaign.body.id}`)).body;
      }
      expect(view.calls.by_reason).toEqual({ completed: 1, machine_hangup: 1, busy: 1 });
      const console = await fetch(`${coreUrl}/dialer/${campaign.body.id}`, { redirect: "manual" });
      expect(console.status).toBe(302);
    } finally {
      expect(await core.stop("SIGTERM")).toBe(0);
      await twilio.stop();
    }
  });
});
