import { afterEach, describe, expect, test } from "bun:test";
import { getExpectedTwilioSignature } from "twilio/lib/webhooks/webhooks.js";
import { createTestCore } from "../testing/core-test-app.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { type DialerBench, dialerBaseUrl, openDialerBench, twilioAccountSid, twilioApiKey, twilioApiSecret, twilioAuthToken, twimlAppSid } from "./testing/dialer-test-kit.ts";

let bench: DialerBench | null = null;
afterEach(async () => {
  await bench?.dispose();
  bench = null;
});

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const anonymous = (path: string, init: RequestInit = {}) => bench!.core.app.request(path, init, { remoteAddress: "198.51.100.20" });

async function webhook(path: string, params: Record<string, string>, signature: string | null = getExpectedTwilioSignature(twilioAuthToken, `${dialerBaseUrl}${path}`, params)) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (signature !== null) headers["x-twilio-signature"] = signature;
  const response = await anonymous(`${dialerBaseUrl}${path}`, { method: "POST", headers, body: form(params) });
  return { status: response.status, text: await response.text() };
}

async function placedCall() {
  bench = await openDialerBench(() => ({ answer: "human", patienceMs: 60_000, ringMs: 5_000 }));
  const created = await bench.json("POST", "/api/campaign", { name: "One", contacts: [{ phone_number: "+15551230001", name: "Maria" }] });
  await bench.json("POST", `/api/campaign/${created.body.id}/dial-next`);
  await waitUntil("the call to be placed", async () => (await bench!.core.deps.dialer!.dialer.listCalls(created.body.id))[0]?.callSid != null);
  const [call] = await bench.core.deps.dialer!.dialer.listCalls(created.body.id);
  return { campaignId: created.body.id as string, call: call! };
}

describe("dialer webhooks refuse what Twilio did not sign", () => {
  test("no signature, a wrong one, a foreign token or a changed field: 403 and the call is untouched", async () => {
    const { call } = await placedCall();
    const path = `/api/voice/amd-status?call=${call.id}`;
    const params = { AccountSid: twilioAccountSid, CallSid: call.callSid!, AnsweredBy: "machine_start", MachineDetectionDuration: "900" };
    const signed = getExpectedTwilioSignature(twilioAuthToken, `${dialerBaseUrl}${path}`, params);
    const refusals = [
      await webhook(path, params, null),
      // One character changed; always a different one, whatever the signature starts with.
      await webhook(path, params, `${signed.startsWith("A") ? "B" : "A"}${signed.slice(1)}`),
      await webhook(path, params, getExpectedTwilioSignature("fedcba9876543210fedcba9876543210", `${dialerBaseUrl}${path}`, params)),
      await webhook(path, { ...params, AnsweredBy: "human" }, signed),
      // Signed for another path (or another call) is not signed for this one.
      await webhook(`/api/voice/amd-status?call=${crypto.randomUUID()}`, params, signed),
    ];
    expect(refusals.map((refusal) => [refusal.status, JSON.parse(refusal.text).error.code])).toEqual([
      [403, "twilio.signature_missing"],
      [403, "twilio.signature_invalid"],
      [403, "twilio.signature_invalid"],
      [403, "twilio.signature_invalid"],
      [403, "twilio.signature_invalid"],
    ]);
    const json = await anonymous(`${dialerBaseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-twilio-signature": signed }, body: JSON.stringify(params) });
    expect(json.status).toBe(403);
    const after = (await bench!.core.deps.dialer!.dialer.findCall(call.id))!;
    expect(after.answeredBy).toBeNull();
    expect(after.reason).toBeNull();
    expect([...bench!.twilio.calls.values()][0]!.updates).toEqual([]);

    // The same request, signed: the machine is hung up.
    expect((await webhook(path, params)).status).toBe(204);
    expect((await bench!.core.deps.dialer!.dialer.findCall(call.id))!.reason).toBe("machine_hangup");
  });

  test("a signed webhook with a bad or unknown call is refused with its code", async () => {
    const { call } = await placedCall();
    expect(JSON.parse((await webhook("/api/voice/status?call=not-a-uuid", { CallSid: call.callSid!, CallStatus: "ringing" })).text).error.code).toBe("request.invalid");
    const unknown = await webhook(`/api/voice/status?call=${crypto.randomUUID()}`, { CallSid: "CA00000000000000000000000000000009", CallStatus: "ringing", SequenceNumber: "1" });
    expect([unknown.status, JSON.parse(unknown.text).error.code]).toEqual([404, "dialer.call_not_found"]);
    const noStatus = await webhook(`/api/voice/status?call=${call.id}`, { CallSid: call.callSid! });
    expect([noStatus.status, JSON.parse(noStatus.text).error.code]).toEqual([400, "twilio.field_missing"]);
    const badSequence = await webhook(`/api/voice/status?call=${call.id}`, { CallSid: call.callSid!, CallStatus: "ringing", SequenceNumber: "x" });
    expect([badSequence.status, JSON.parse(badSequence.text).error.code]).toEqual([400, "twilio.field_invalid"]);
    const otherSid = await webhook(`/api/voice/status?call=${call.id}`, { CallSid: "CA00000000000000000000000000000009", CallStatus: "completed", SequenceNumber: "9" });
    expect([otherSid.status, JSON.parse(otherSid.text).error.code]).toEqual([409, "dialer.call_sid_mismatch"]);
    expect((await bench!.core.deps.dialer!.dialer.findCall(call.id))!.endedAt).toBeNull();
    const agent = await webhook("/api/voice/dial", { From: "+15550001111", campaignId: "x" });
    expect([agent.status, JSON.parse(agent.text).error.code]).toEqual([400, "twilio.field_invalid"]);
    const noCampaign = await webhook("/api/voice/dial", { From: "client:alice", campaignId: "nope" });
    expect([noCampaign.status, JSON.parse(noCampaign.text).error.code]).toEqual([404, "campaign.not_found"]);
  });

  test("the queue answers hold music that Twilio can fetch from the core", async () => {
    const { call } = await placedCall();
    const queued = await webhook(`/api/voice/customer-queue?call=${call.id}`, { CallSid: call.callSid!, CallStatus: "in-progress" });
    expect(queued.text).toBe(`<?xml version="1.0" encoding="UTF-8"?><Response><Play loop="0">${dialerBaseUrl}/api/voice/hold-music.wav</Play></Response>`);
    const music = await anonymous("/api/voice/hold-music.wav");
    expect(music.headers.get("content-type")).toBe("audio/wav");
    const bytes = new Uint8Array(await music.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("RIFF");
    expect(bytes.length).toBe(44 + 4 * 8000 * 2);
    expect((await bench!.core.deps.dialer!.dialer.findCall(call.id))!.state).toBe("queued");
  });
});

describe("dialer API", () => {
  test("campaign endpoints need an operator session or the admin token", async () => {
    bench = await openDialerBench(() => ({ answer: "busy" }));
    for (const [method, path] of [
      ["POST", "/api/campaign"],
      ["GET", "/api/campaign/tw-1"],
      ["POST", "/api/campaign/tw-1/dial-next"],
      ["POST", "/api/campaign/tw-1/disposition"],
      ["POST", "/api/campaign/tw-1/end"],
      ["POST", "/api/token"],
    ] as const) {
      const none = await anonymous(path, { method });
      expect([path, none.status, ((await none.json()) as any).error.code]).toEqual([path, 401, "auth.missing_token"]);
      const wrong = await anonymous(path, { method, headers: { authorization: "Bearer not-the-admin-token-123" } });
      expect([path, wrong.status]).toEqual([path, 401]);
    }
  });

  test("bad campaign bodies are refused with the field named", async () => {
    bench = await openDialerBench(() => ({ answer: "busy" }));
    const cases: Array<[unknown, string]> = [
      [{ name: "x" }, "contacts"],
      [{ name: "x", contacts: [] }, "contacts"],
      [{ name: "x", contacts: [{ phone_number: "12" }] }, "contacts.0.phone_number"],
      [{ contacts: [{ phone_number: "+15551230001" }] }, "name"],
      [{ name: "x", contacts: [{ phone_number: "+15551230001" }], lines_per_agent: 0 }, "lines_per_agent"],
      [{ name: "x", contacts: [{ phone_number: "+15551230001" }], machine_policy: "sing" }, "machine_policy"],
      [{ name: "x", campaign_id: "../etc" }, "campaign_id"],
    ];
    for (const [body, field] of cases) {
      const refused = await bench.json("POST", "/api/campaign", body);
      expect([refused.status, refused.body.error.code, JSON.stringify(refused.body.error.details)]).toEqual([400, "request.invalid", expect.stringContaining(field)]);
    }
    expect((await bench.json("POST", "/api/campaign", { campaign_id: "NOPE" })).body.error.code).toBe("campaign.not_found");
    expect((await bench.json("POST", "/api/campaign", { name: "x", tenant_id: "nobody", contacts: [{ phone_number: "+15551230001" }] })).body.error.code).toBe("tenants.not_found");
    expect((await bench.json("GET", "/api/campaign/tw-unknown")).status).toBe(404);
    expect((await bench.json("POST", "/api/campaign/tw-unknown/dial-next")).body.error.code).toBe("campaign.not_found");
    const created = await bench.json("POST", "/api/campaign", { name: "x", contacts: [{ phone_number: "+1 (555) 123-0001" }] });
    expect(created.status).toBe(201);
    const disposition = await bench.json("POST", `/api/campaign/${created.body.id}/disposition`, { call_id: crypto.randomUUID(), disposition: "SALE" });
    expect([disposition.status, disposition.body.error.code]).toEqual([404, "dialer.call_not_found"]);
    expect((await bench.json("POST", `/api/campaign/${created.body.id}/disposition`, { call_id: "x", disposition: "SALE" })).status).toBe(400);
    expect((await bench.json("POST", `/api/campaign/${created.body.id}/end`)).body).toEqual({ hung_up: 0 });
    expect((await bench.json("POST", `/api/campaign/${created.body.id}/dial-next`)).body.error.code).toBe("campaign.ended");
    expect(bench.twilio.calls.size).toBe(0);
  });

  test("a Voice access token for the agent, signed with the API key's secret", async () => {
    bench = await openDialerBench(() => ({ answer: "busy" }));
    const refused = await bench.json("POST", "/api/token", {});
    expect(refused.body.error.code).toBe("dialer.identity_required");
    const { status, body } = await bench.json("POST", "/api/token", { identity: "alice" });
    expect(status).toBe(200);
    const [header, payload, signature] = (body.token as string).split(".");
    const decoded = JSON.parse(Buffer.from(payload!, "base64url").toString());
    expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toMatchObject({ alg: "HS256", typ: "JWT", cty: "twilio-fpa;v=1" });
    expect(decoded).toMatchObject({ iss: twilioApiKey, sub: twilioAccountSid, grants: { identity: "alice", voice: { incoming: { allow: true }, outgoing: { application_sid: twimlAppSid } } } });
    expect(decoded.exp - decoded.iat).toBe(3600);
    const expected = new Bun.CryptoHasher("sha256", twilioApiSecret).update(`${header}.${payload}`).digest("base64url");
    expect(signature).toBe(expected);
  });

  test("without Twilio settings the dialer answers 503 and says what to set", async () => {
    const core = await createTestCore();
    try {
      const response = await core.admin("/api/campaign", { method: "POST", body: JSON.stringify({ name: "x", contacts: [{ phone_number: "+15551230001" }] }) });
      expect(response.status).toBe(503);
      expect(((await response.json()) as any).error).toMatchObject({ code: "dialer.not_configured", message: expect.stringContaining("TWILIO_ACCOUNT_SID") });
      const hook = await core.app.request("/api/voice/status", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "CallStatus=completed" });
      expect(hook.status).toBe(503);
    } finally {
      core.dispose();
    }
  });
});
