import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { z } from "zod";
import { addOperator, logIn } from "../../shared/accounts/accounts.usecases.ts";
import { sessionCookieNameOf } from "../../shared/accounts/operator-session.ts";
import { badRequest } from "../../shared/http/app-error.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { createTestCore, type TestCore, testAdminToken } from "../testing/core-test-app.ts";
import { createCoreAccounts } from "../operators/operator-accounts.ts";
import { openSocket } from "../testing/campaign-socket-client.ts";
import { campaignSocketLimits } from "./campaign-socket.ts";

describe("the campaign socket /ws/{campaign_id}", () => {
  let core: TestCore;
  let server: RunningHttpServer;
  let wsBase: string;
  let sessionCookie: string;
  const campaignId = "spring-offer";
  const listenTokens = new Map([["listen-token-abc123", { linkId: "link-1" }]]);

  beforeAll(async () => {
    core = await createTestCore();
    server = startHttpServer({ fetch: (request, bindings) => core.app.fetch(request, bindings), hostname: "127.0.0.1", port: 0 });
    wsBase = server.url.replace("http:", "ws:");
    const created = await core.admin("/api/v1/studio/campaigns", { method: "POST", body: JSON.stringify({ id: campaignId, name: "Spring offer", language: "en" }) });
    expect(created.status).toBe(201);
    const accounts = createCoreAccounts({ config: core.config, db: core.database.db as never, clock: core.clock, logger: silentLogger });
    await addOperator(accounts, "listener", "listener-password-1", { role: "viewer", scope: null });
    const { token } = await logIn(accounts, { username: "listener", password: "listener-password-1", remoteAddress: "127.0.0.1" });
    sessionCookie = `${sessionCookieNameOf("core")}=${token}`;

    const hub = core.deps.campaignSocket;
    hub.onOpen((connection) => [{ type: "test_snapshot", caller: connection.caller.kind }]);
    hub.addListenerCheck(async (campaign, token) => (campaign === campaignId ? (listenTokens.get(token) ?? null) : null));
    const echo = z.object({ type: z.literal("test_echo"), text: z.string().max(20) });
    hub.onMessage("test_echo", (connection, message) => {
      const parsed = echo.safeParse(message);
      if (!parsed.success) throw badRequest("test.invalid_echo", "text must be at most 20 characters");
      connection.send({ type: "test_echoed", text: parsed.data.text });
    });
    hub.onMessage("test_crash", () => {
      throw new Error("an unexpected failure");
    });
  });

  afterAll(async () => {
    await server.stop();
    core.dispose();
  });

  test("is refused before the upgrade without a valid caller, for an unknown campaign, or without an upgrade", async () => {
    const upgrade = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" };
    const cases: Array<[string, Record<string, string>, number, string]> = [
      [`/ws/${campaignId}`, {}, 401, "auth.required"],
      [`/ws/${campaignId}`, { authorization: "Bearer wrong-token-0000" }, 401, "auth.invalid_token"],
      [`/ws/${campaignId}?listen=not-a-link`, {}, 401, "auth.invalid_token"],
      [`/ws/${campaignId}`, { cookie: sessionCookie, origin: "https://evil.example" }, 403, "auth.csrf"],
      [`/ws/${campaignId}`, { cookie: sessionCookie }, 403, "auth.csrf"],
      [`/ws/${campaignId}`, { cookie: `${sessionCookieNameOf("core")}=expired-session`, origin: server.url }, 401, "auth.required"],
      ["/ws/no-such-campaign", { authorization: `Bearer ${testAdminToken}` }, 404, "campaign.not_found"],
      ["/ws/other-campaign?listen=listen-token-abc123", {}, 401, "auth.invalid_token"],
      ["/ws/..%2f..%2fetc", { authorization: `Bearer ${testAdminToken}` }, 400, "socket.invalid_campaign_id"],
    ];
    for (const [path, headers, status, code] of cases) {
      const response = await fetch(`${server.url}${path}`, { headers: { ...upgrade, ...headers } });
      const body = (await response.json()) as { error: { code: string } };
      expect([path, headers, response.status, body.error.code]).toEqual([path, headers, status, code]);
    }
    const plain = await fetch(`${server.url}/ws/${campaignId}`, { headers: { authorization: `Bearer ${testAdminToken}` } });
    expect([plain.status, ((await plain.json()) as { error: { code: string } }).error.code]).toEqual([426, "socket.upgrade_required"]);
  });

  test("an admin token, a session from the core's own page and a listen link each open it and get the snapshot; events reach every socket of the campaign", async () => {
    const admin = openSocket(`${wsBase}/ws/${campaignId}`, { authorization: `Bearer ${testAdminToken}` });
    const operator = openSocket(`${wsBase}/ws/${campaignId}`, { cookie: sessionCookie, origin: server.url });
    const listener = openSocket(`${wsBase}/ws/${campaignId}?listen=listen-token-abc123`);
    await Promise.all([admin.opened, operator.opened, listener.opened]);
    expect(await admin.next((m) => m.type === "test_snapshot", "admin snapshot")).toEqual({ type: "test_snapshot", caller: "admin" });
    expect(await operator.next((m) => m.type === "test_snapshot", "operator snapshot")).toEqual({ type: "test_snapshot", caller: "operator" });
    expect(await listener.next((m) => m.type === "test_snapshot", "listener snapshot")).toEqual({ type: "test_snapshot", caller: "listener" });
    await waitUntil("three sockets registered", () => core.deps.campaignSocket.connections(campaignId).length === 3, 5_000, 5);

    expect(core.deps.campaignSocket.publish(campaignId, { type: "test_event", n: 1 })).toBe(3);
    expect(core.deps.campaignSocket.publish("another-campaign", { type: "test_event", n: 2 })).toBe(0);
    for (const client of [admin, operator, listener]) expect(await client.next((m) => m.type === "test_event", "published event")).toEqual({ type: "test_event", n: 1 });

    // A revoked link's sockets are closed; the others stay.
    core.deps.campaignSocket.closeListener("link-1", "the link was revoked");
    await waitUntil("the listener closed", () => listener.closed() !== null, 5_000, 5);
    expect(listener.closed()).toEqual({ code: 4403, reason: "the link was revoked" });
    await waitUntil("two sockets left", () => core.deps.campaignSocket.connections(campaignId).length === 2, 5_000, 5);
    expect(core.deps.campaignSocket.publish(campaignId, { type: "test_event", n: 3 })).toBe(2);
    admin.socket.close();
    operator.socket.close();
    await waitUntil("no sockets left", () => core.deps.campaignSocket.connections(campaignId).length === 0, 5_000, 5);
  });

  test("malformed, unknown, oversized and binary messages are answered with an error code, and the socket goes on", async () => {
    const client = openSocket(`${wsBase}/ws/${campaignId}`, { authorization: `Bearer ${testAdminToken}` });
    await client.opened;
    const sent: Array<[string | Uint8Array, string]> = [
      ["not json", "socket.malformed_json"],
      ["[1,2]", "socket.malformed_message"],
      ['{"kind":"x"}', "socket.malformed_message"],
      ['{"type":"no_such_type"}', "socket.unknown_type"],
      [JSON.stringify({ type: "test_echo", text: "x".repeat(campaignSocketLimits.maxMessageBytes) }), "socket.message_too_large"],
      [new Uint8Array([1, 2, 3]), "socket.binary_message"],
      [JSON.stringify({ type: "test_echo", text: "far too long for the echo" }), "test.invalid_echo"],
      [JSON.stringify({ type: "test_crash" }), "socket.internal_error"],
    ];
    for (const [data] of sent) client.socket.send(data);
    await waitUntil("every error answered", () => client.messages.filter((m) => m.type === "error").length === sent.length, 5_000, 5);
    expect(client.messages.filter((m) => m.type === "error").map((m) => m.code)).toEqual(sent.map(([, code]) => code));
    expect(client.messages.find((m) => m.code === "test.invalid_echo")).toMatchObject({ in_reply_to: "test_echo", message: "text must be at most 20 characters" });

    client.socket.send(JSON.stringify({ type: "test_echo", text: "still here" }));
    expect(await client.next((m) => m.type === "test_echoed", "the echo")).toEqual({ type: "test_echoed", text: "still here" });
    expect(client.closed()).toBeNull();
    client.socket.close();
  });

  test("a socket flooding messages is closed (1008); the campaign's other sockets are not", async () => {
    const flooder = openSocket(`${wsBase}/ws/${campaignId}`, { authorization: `Bearer ${testAdminToken}` });
    const calm = openSocket(`${wsBase}/ws/${campaignId}`, { authorization: `Bearer ${testAdminToken}` });
    await Promise.all([flooder.opened, calm.opened]);
    // The test's clock stands still, so every message falls within one second.
    for (let sent = 0; sent <= campaignSocketLimits.maxMessagesPerSecond; sent++) flooder.socket.send(JSON.stringify({ type: "test_echo", text: "x" }));
    await waitUntil("the flooder closed", () => flooder.closed() !== null, 5_000, 5);
    expect(flooder.closed()!.code).toBe(1008);
    await waitUntil("one socket left", () => core.deps.campaignSocket.connections(campaignId).length === 1, 5_000, 5);
    calm.socket.send(JSON.stringify({ type: "test_echo", text: "calm" }));
    expect(await calm.next((m) => m.type === "test_echoed", "the calm echo")).toEqual({ type: "test_echoed", text: "calm" });
    calm.socket.close();
  });
});
