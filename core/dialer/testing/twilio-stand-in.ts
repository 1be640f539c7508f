import { getExpectedTwilioSignature } from "twilio/lib/webhooks/webhooks.js";
import { type RunningHttpServer, startHttpServer } from "../../../shared/runtime/http-server.ts";

/**
 * A local stand-in for Twilio's Voice REST API (2010-04-01: Calls create, list, update) that
 * simulates each call it places and sends the webhooks Twilio would send, signed with
 * X-Twilio-Signature over the configured URL and the sorted form parameters.
 */

/** "invalid-number": Twilio refuses to create the call (400, error 21211). */
export type AnswerKind = "human" | "machine" | "unknown" | "busy" | "no-answer" | "failed" | "invalid-number";

export interface CallScenario {
  answer: AnswerKind;
  /** "missing": the AMD callback never comes. */
  amd?: "sent" | "missing";
  /** "amd-first": the AMD verdict arrives before the answered callback; "completed-before-amd": the callee hangs up before the verdict is delivered. */
  order?: "in-order" | "amd-first" | "completed-before-amd";
  /** Every webhook delivered twice. */
  duplicates?: boolean;
  ringMs?: number;
  amdMs?: number;
  /** How long a bridged customer talks before hanging up. */
  talkMs?: number;
  /** How long a customer left in the queue waits before hanging up on their own. */
  patienceMs?: number;
}

/** A fault for the next REST request: an HTTP error, optionally after the call was created anyway (the answer is lost), or no answer at all. */
export type RestFault = { status: 429 | 500 | 503; afterCreate?: boolean } | { hang: true; afterCreate?: boolean };

export interface DeliveredWebhook {
  url: string;
  params: Record<string, string>;
  status: number;
  body: string;
  at: number;
}

export interface SimulatedCall {
  sid: string;
  to: string;
  from: string;
  createParams: Record<string, string | string[]>;
  createdAt: number;
  status: string;
  answered: boolean;
  /** TwiML the call executed, in order (from its Url, a redirect, or an inline Twiml update). */
  twiml: string[];
  updates: Array<Record<string, string>>;
  webhooks: DeliveredWebhook[];
  bridged: boolean;
  endedAt: number | null;
  /** performance.now() when the AMD verdict was sent, and when a redirect (Url or Twiml update) for the call arrived. */
  verdictSentAt: number | null;
  redirectArrivedAt: number | null;
}

export interface TwilioStandInOptions {
  accountSid: string;
  authToken: string;
  apiKeySid?: string;
  apiKeySecret?: string;
  scenarioFor: (to: string) => CallScenario;
  /** Delivers a webhook (a real fetch unless a test routes it into an app). */
  deliver?: (url: string, init: RequestInit) => Promise<Response>;
  /** Tries per webhook while the server cannot be reached (5), this far apart (500 ms). */
  deliveryAttempts?: number;
  deliveryRetryMs?: number;
}

export interface TwilioStandIn {
  readonly url: string;
  readonly calls: Map<string, SimulatedCall>;
  /** REST requests as received (method, path, form). */
  readonly requests: Array<{ method: string; path: string; form: Record<string, string | string[]>; at: number }>;
  failNext(...faults: RestFault[]): void;
  /** Sends the TwiML App's request for an agent's browser leg, as the Voice SDK's `device.connect({params})` makes Twilio do. */
  connectAgent(url: string, identity: string, params: Record<string, string>): Promise<DeliveredWebhook>;
  /** Sends a signed webhook with these params (for tests of exact payloads). */
  sendWebhook(url: string, params: Record<string, string>): Promise<DeliveredWebhook>;
  /** Calls not yet ended. */
  liveCalls(): SimulatedCall[];
  /** Resolves when every simulated call has ended and its webhooks were delivered. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const hex = (length: number) => Array.from({ length }, () => Math.floor(Math.random() * 16).toString(16)).join("");

function formOf(body: string): Record<string, string | string[]> {
  const form: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const existing = form[key];
    form[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return form;
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function restError(status: number, code: number, message: string): Response {
  return Response.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, { status });
}

export function startTwilioStandIn(options: TwilioStandInOptions): TwilioStandIn {
  const calls = new Map<string, SimulatedCall>();
  const requests: TwilioStandIn["requests"] = [];
  const faults: RestFault[] = [];
  const running = new Set<Promise<unknown>>();
  const deliver = options.deliver ?? ((url, init) => fetch(url, init));
  const simulations = new Map<string, { hangup: (reason: "completed" | "canceled") => void; nudge: () => void }>();

  const track = <T>(promise: Promise<T>) => {
    running.add(promise);
    void promise.finally(() => running.delete(promise));
    return promise;
  };

  async function sendWebhook(url: string, params: Record<string, string>): Promise<DeliveredWebhook> {
    const signature = getExpectedTwilioSignature(options.authToken, url, params);
    const idempotencyToken = hex(32);
    // Like Twilio with connection overrides (#rc=5), a webhook that found no server is tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await deliver(url, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, "i-twilio-idempotency-token": idempotencyToken },
          body: new URLSearchParams(params).toString(),
        });
        return { url, params, status: response.status, body: await response.text(), at: Date.now() };
      } catch (error) {
        if (attempt >= (options.deliveryAttempts ?? 5)) return { url, params, status: 0, body: String(error), at: Date.now() };
        await new Promise<void>((resolve) => setTimeout(resolve, options.deliveryRetryMs ?? 500));
      }
    }
  }

  function authorized(request: Request): boolean {
    const header = request.headers.get("authorization") ?? "";
    if (!header.startsWith("Basic ")) return false;
    const [user, password] = Buffer.from(header.slice(6), "base64").toString("utf8").split(/:(.*)/s);
    if (user === options.accountSid && password === options.authToken) return true;
    return options.apiKeySid !== undefined && user === options.apiKeySid && password === options.apiKeySecret;
  }

  function callJson(call: SimulatedCall) {
    return {
      sid: call.sid,
      account_sid: options.accountSid,
      to: call.to,
      from: call.from,
      status: call.status,
      direction: "outbound-api",
      date_created: new Date(call.createdAt).toUTCString().replace("GMT", "+0000"),
      start_time: null,
      end_time: call.endedAt === null ? null : new Date(call.endedAt).toUTCString().replace("GMT", "+0000"),
      api_version: "2010-04-01",
      uri: `/2010-04-01/Accounts/${options.accountSid}/Calls/${call.sid}.json`,
    };
  }

  function createCall(form: Record<string, string | string[]>): SimulatedCall {
    const call: SimulatedCall = {
      sid: `CA${hex(32)}`,
      to: single(form.To) ?? "",
      from: single(form.From) ?? "",
      createParams: form,
      createdAt: Date.now(),
      status: "queued",
      answered: false,
      twiml: [],
      updates: [],
      webhooks: [],
      bridged: false,
      endedAt: null,
      verdictSentAt: null,
      redirectArrivedAt: null,
    };
    calls.set(call.sid, call);
    track(simulate(call, options.scenarioFor(call.to)));
    return call;
  }

  async function simulate(call: SimulatedCall, scenario: CallScenario): Promise<void> {
    const form = call.createParams;
    const statusUrl = single(form.StatusCallback);
    const amdUrl = single(form.AsyncAmdStatusCallback);
    const answerUrl = single(form.Url);
    let sequence = 0;
    let hangupReason: "completed" | "canceled" | null = null;
    let wake: () => void = () => {};
    simulations.set(call.sid, {
      hangup: (reason) => {
        hangupReason = reason;
        wake();
      },
      nudge: () => wake(),
    });
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });

    const base = { AccountSid: options.accountSid, ApiVersion: "2010-04-01", CallSid: call.sid, Called: call.to, Caller: call.from, Direction: "outbound-api", From: call.from, To: call.to };
    const send = async (url: string | undefined, params: Record<string, string>) => {
      if (!url) return;
      const first = await sendWebhook(url, params);
      call.webhooks.push(first);
      if (scenario.duplicates) call.webhooks.push(await sendWebhook(url, params));
      return first;
    };
    const statusCallback = (status: string, extra: Record<string, string> = {}) =>
      send(statusUrl, { ...base, CallStatus: status, CallbackSource: "call-progress-events", SequenceNumber: String(sequence++), Timestamp: new Date().toUTCString(), ...extra });
    const amdCallback = () => {
      call.verdictSentAt ??= performance.now();
      const answeredBy = scenario.answer === "machine" ? (single(form.MachineDetection) === "DetectMessageEnd" ? "machine_end_beep" : "machine_start") : scenario.answer;
      return send(amdUrl, { AccountSid: options.accountSid, CallSid: call.sid, AnsweredBy: answeredBy, MachineDetectionDuration: String(scenario.amdMs ?? 30) });
    };
    const finish = async (status: string) => {
      if (call.endedAt !== null) return;
      call.status = status;
      call.endedAt = Date.now();
      const duration = call.answered ? Math.max(1, Math.round((call.endedAt - call.createdAt) / 1000)) : 0;
      await statusCallback(status, { CallDuration: String(duration), Duration: String(Math.ceil(duration / 60)) });
    };

    try {
      call.status = "initiated";
      await statusCallback("initiated");
      await pause(scenario.ringMs ?? 10);
      if (hangupReason) return await finish("canceled");
      call.status = "ringing";
      await statusCallback("ringing");
      await pause(scenario.ringMs ?? 10);
      if (hangupReason) return await finish("canceled");
      if (scenario.answer === "busy" || scenario.answer === "no-answer" || scenario.answer === "failed") return await finish(scenario.answer);

      const amdWanted = amdUrl !== undefined && scenario.amd !== "missing";
      const order = scenario.order ?? "in-order";
      if (amdWanted && order === "amd-first") await amdCallback();
      call.answered = true;
      call.status = "in-progress";
      await statusCallback("in-progress");
      const queued = await send(answerUrl, { ...base, CallStatus: "in-progress" });
      if (queued) call.twiml.push(queued.body);
      if (order === "completed-before-amd") {
        await finish("completed");
        if (amdWanted) await amdCallback();
        return;
      }
      if (amdWanted && order === "in-order") {
        await pause(scenario.amdMs ?? 30);
        if (!hangupReason && !call.bridged) await amdCallback();
      }
      // The call goes on until the core hangs it up, the bridged customer finishes talking, or a waiting one gives up.
      const deadline = Date.now() + (scenario.patienceMs ?? 60_000);
      while (!hangupReason && Date.now() < deadline) {
        if (call.bridged) {
          await pause(scenario.talkMs ?? 50);
          break;
        }
        await pause(Math.max(1, deadline - Date.now()));
      }
      await finish("completed");
    } finally {
      simulations.delete(call.sid);
    }
  }

  async function executeTwiml(call: SimulatedCall, twiml: string): Promise<void> {
    call.twiml.push(twiml);
    if (twiml.includes("<Hangup") || twiml.includes("<Reject")) return simulations.get(call.sid)?.hangup("completed");
    if (twiml.includes("<Conference")) call.bridged = true;
    simulations.get(call.sid)?.nudge();
  }

  async function updateCall(call: SimulatedCall, form: Record<string, string>): Promise<void> {
    if (form.Url || form.Twiml) call.redirectArrivedAt ??= performance.now();
    call.updates.push(form);
    if (form.Status === "completed" || form.Status === "canceled") {
      simulations.get(call.sid)?.hangup(form.Status);
      return;
    }
    if (form.Twiml) await executeTwiml(call, form.Twiml);
    else if (form.Url) {
      const fetched = await sendWebhook(form.Url, { AccountSid: options.accountSid, ApiVersion: "2010-04-01", CallSid: call.sid, CallStatus: call.status, Direction: "outbound-api", From: call.from, To: call.to });
      call.webhooks.push(fetched);
      await executeTwiml(call, fetched.body);
    }
  }

  const server: RunningHttpServer = startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const url = new URL(request.url);
      const form = request.method === "POST" ? formOf(await request.text()) : {};
      requests.push({ method: request.method, path: url.pathname + url.search, form, at: Date.now() });
      if (!authorized(request)) return restError(401, 20003, "Authenticate");
      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/.]+))?\.json$/.exec(url.pathname);
      if (!match) return restError(404, 20404, "The requested resource was not found");
      if (match[1] !== options.accountSid) return restError(403, 20003, "The account does not match the credentials");
      const fault = faults.shift();
      const callSid = match[2];
      let created: SimulatedCall | undefined;
      if (!callSid && request.method === "POST" && (!fault || fault.afterCreate)) {
        if (!single(form.To) || !single(form.From) || !(single(form.Url) || single(form.Twiml))) return restError(400, 21201, "No 'To', 'From' or 'Url' specified");
        if (options.scenarioFor(single(form.To)!).answer === "invalid-number") return restError(400, 21211, `The 'To' number ${single(form.To)} is not a valid phone number.`);
        created = createCall(form);
      }
      if (fault) {
        if ("hang" in fault) {
          await new Promise<void>((resolve) => request.signal.addEventListener("abort", () => resolve(), { once: true }));
          return new Response(null, { status: 504 });
        }
        return fault.status === 429 ? restError(429, 20429, "Too Many Requests") : restError(fault.status, 20500, "Internal Server Error");
      }
      if (created) return Response.json(callJson(created), { status: 201 });
      if (!callSid && request.method === "GET") {
        const to = url.searchParams.get("To");
        const list = [...calls.values()].filter((call) => to === null || call.to === to).sort((a, b) => b.createdAt - a.createdAt);
        return Response.json({ calls: list.map(callJson), page: 0, page_size: 50 });
      }
      const call = callSid ? calls.get(callSid) : undefined;
      if (!call) return restError(404, 20404, `The requested resource /Calls/${callSid}.json was not found`);
      if (request.method === "GET") return Response.json(callJson(call));
      if (call.endedAt !== null) return restError(400, 21220, "Call is not in-progress. Cannot redirect.");
      await updateCall(call, Object.fromEntries(Object.entries(form).map(([key, value]) => [key, single(value) ?? ""])));
      return Response.json(callJson(call));
    },
  });

  return {
    url: server.url.replace(/\/$/, ""),
    calls,
    requests,
    failNext: (...next) => void faults.push(...next),
    connectAgent: (url, identity, params) =>
      sendWebhook(url, {
        AccountSid: options.accountSid,
        ApiVersion: "2010-04-01",
        ApplicationSid: `AP${hex(32)}`,
        CallSid: `CA${hex(32)}`,
        CallStatus: "ringing",
        Called: "",
        Caller: `client:${identity}`,
        Direction: "inbound",
        From: `client:${identity}`,
        To: "",
        ...params,
      }),
    sendWebhook,
    liveCalls: () => [...calls.values()].filter((call) => call.endedAt === null),
    async settled() {
      while (running.size > 0) await Promise.all([...running]);
    },
    async stop() {
      for (const simulation of simulations.values()) simulation.hangup("completed");
      await Promise.allSettled([...running]);
      await server.forceStop();
    },
  };
}
