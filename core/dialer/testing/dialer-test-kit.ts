import { createTestCore, type TestCore } from "../../testing/core-test-app.ts";
import { settleDialer } from "../dialer.usecases.ts";
import { type CallScenario, startTwilioStandIn, type TwilioStandIn } from "./twilio-stand-in.ts";

export const twilioAccountSid = "AC00000000000000000000000000000001";
export const twilioAuthToken = "0123456789abcdef0123456789abcdef";
export const twilioApiKey = "SK00000000000000000000000000000002";
export const twilioApiSecret = "api-secret-5d1f0a9c3e7b2468";
export const twimlAppSid = "AP55555555555555555555555555555555";
export const dialerBaseUrl = "https://dialer.example.com";
export const twilioPhoneNumber = "+15559870002";

export interface DialerBench {
  core: TestCore;
  twilio: TwilioStandIn;
  /** Events the dialer published, in order. */
  events: Array<{ type: string; [field: string]: unknown }>;
  json(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** An agent's browser leg joining the campaign through the TwiML App. */
  joinAgent(campaignId: string, identity: string): Promise<string>;
  /** One pass of the settlement loop after moving the clock. */
  settle(advanceMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

/** The core with the dialer configured against a Twilio stand-in whose webhooks go into the core's app. */
export async function openDialerBench(scenarioFor: (to: string) => CallScenario, env: Record<string, string> = {}): Promise<DialerBench> {
  let core!: TestCore;
  const twilio = startTwilioStandIn({
    accountSid: twilioAccountSid,
    authToken: twilioAuthToken,
    apiKeySid: twilioApiKey,
    apiKeySecret: twilioApiSecret,
    scenarioFor,
    deliver: async (url, init) => await core.app.request(url, init, { remoteAddress: "203.0.113.7" }),
  });
  core = await createTestCore({
    TWILIO_ACCOUNT_SID: twilioAccountSid,
    TWILIO_AUTH_TOKEN: twilioAuthToken,
    TWILIO_API_KEY: twilioApiKey,
    TWILIO_API_SECRET: twilioApiSecret,
    TWILIO_TWIML_APP_SID: twimlAppSid,
    TWILIO_PHONE_NUMBER: twilioPhoneNumber,
    BASE_URL: dialerBaseUrl,
    TWILIO_API_BASE_URL: twilio.url,
    TWILIO_TIMEOUT_SECONDS: "2",
    ...env,
  });
  const events: DialerBench["events"] = [];
  const dialer = core.deps.dialer!;
  const publish = dialer.publish;
  dialer.publish = (event) => {
    events.push(event);
    publish(event);
  };
  return {
    core,
    twilio,
    events,
    async json(method, path, body) {
      const response = await core.admin(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    async joinAgent(campaignId, identity) {
      const answer = await twilio.connectAgent(`${dialerBaseUrl}/api/voice/dial`, identity, { campaignId });
      if (answer.status !== 200) throw new Error(`the agent leg was refused: ${answer.status} ${answer.body}`);
      return answer.body;
    },
    async settle(advanceMs = 0) {
      if (advanceMs > 0) await core.clock.advance(advanceMs);
      await settleDialer(dialer);
    },
    async dispose() {
      await twilio.stop();
      core.dispose();
    },
  };
}

/** The environment of a core process (from source) whose dialer talks to the stand-in at `twilioUrl`. */
export function dialerCoreEnv(options: { home: string; dataDir: string; port: number; adminToken: string; twilioUrl: string }): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: options.home,
    TMPDIR: process.env.TMPDIR ?? "/tmp",
    HOST: "127.0.0.1",
    PORT: String(options.port),
    DATA_DIR: options.dataDir,
    ADMIN_TOKEN: options.adminToken,
    VAD_IN_PROCESS: "false",
    TWILIO_ACCOUNT_SID: twilioAccountSid,
    TWILIO_AUTH_TOKEN: twilioAuthToken,
    TWILIO_PHONE_NUMBER: twilioPhoneNumber,
    BASE_URL: dialerBaseUrl,
    TWILIO_API_BASE_URL: options.twilioUrl,
  };
}
