import { afterEach, describe, expect, test } from "bun:test";
import { dialerEvent } from "../../shared/contracts/dialer-events.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { openSocket } from "../testing/campaign-socket-client.ts";
import { testAdminToken } from "../testing/core-test-app.ts";
import { type DialerBench, openDialerBench } from "./testing/dialer-test-kit.ts";

let bench: DialerBench | null = null;
let server: RunningHttpServer | null = null;
afterEach(async () => {
  await server?.forceStop();
  await bench?.dispose();
  server = null;
  bench = null;
});

describe("dialer events on the campaign socket", () => {
  test("a snapshot on connect, then queued, detection result, connected, ended and disposition saved, each in the contract's shape", async () => {
    bench = await openDialerBench((to) => (to.endsWith("1") ? { answer: "human", talkMs: 30 } : { answer: "machine" }));
    const core = bench.core;
    server = startHttpServer({ fetch: (request, bindings) => core.app.fetch(request, bindings), hostname: "127.0.0.1", port: 0 });
    const created = await bench.json("POST", "/api/campaign", { name: "Live", contacts: [{ phone_number: "+15551230001" }, { phone_number: "+15551230002" }] });
    const id = created.body.id as string;
    const url = `${server.url.replace("http:", "ws:")}/ws/${id}`;
    const client = openSocket(url, { authorization: `Bearer ${testAdminToken}` });
    await client.opened;
    const snapshot = await client.next((message) => message.type === "dialer_snapshot", "the snapshot");
    expect(snapshot.campaign).toMatchObject({ id, state: "ready", leads: { total: 2, pending: 2 }, live_calls: [] });

    await bench.joinAgent(id, "alice");
    await bench.json("POST", `/api/campaign/${id}/dial-next`);
    await waitUntil("both calls to end", () => client.messages.filter((message) => message.type === "call_ended").length === 2);
    const connected = await client.next((message) => message.type === "call_connected", "the connected call");
    const saved = await bench.json("POST", `/api/campaign/${id}/disposition`, { call_id: connected.call_id, disposition: "SALE" });
    expect(saved.status).toBe(200);
    await client.next((message) => message.type === "disposition_saved", "the disposition");

    // The socket carries the listening room's events too; the dialer's are those of its contract.
    const dialerTypes = new Set(["dialer_snapshot", "call_queued", "detection_result", "call_connected", "call_ended", "disposition_saved", "agent_joined", "agent_left", "lines_lowered", "campaign_ended"]);
    expect(client.messages.filter((message) => message.type === "error")).toEqual([]);
    const dialerMessages = client.messages.filter((message) => dialerTypes.has(message.type));
    for (const message of dialerMessages) expect(dialerEvent.safeParse(message).error).toBeUndefined();
    const types = dialerMessages.map((message) => message.type);
    for (const type of ["dialer_snapshot", "agent_joined", "call_queued", "detection_result", "call_connected", "call_ended", "disposition_saved"]) expect(types).toContain(type);
    const ofHuman = dialerMessages.filter((message) => message.call_id === connected.call_id || message.call?.call_id === connected.call_id).map((message) => message.type);
    expect(ofHuman).toEqual(["call_queued", "detection_result", "call_connected", "call_ended", "disposition_saved"]);
    expect(dialerMessages.find((message) => message.type === "call_ended" && message.call_id !== connected.call_id)).toMatchObject({ reason: "machine_hangup" });

    // A reconnecting console gets where things stand.
    const again = openSocket(url, { authorization: `Bearer ${testAdminToken}` });
    await again.opened;
    const later = await again.next((message) => message.type === "dialer_snapshot", "the second snapshot");
    expect(later.campaign).toMatchObject({ state: "dialing", calls: { by_reason: { completed: 1, machine_hangup: 1 } }, agents: [{ identity: "alice", state: "available" }] });
    again.socket.close();
    client.socket.close();
  });

  test("the socket of an unknown campaign or without credentials is refused before the upgrade", async () => {
    bench = await openDialerBench(() => ({ answer: "busy" }));
    const core = bench.core;
    server = startHttpServer({ fetch: (request, bindings) => core.app.fetch(request, bindings), hostname: "127.0.0.1", port: 0 });
    const created = await bench.json("POST", "/api/campaign", { name: "Live", contacts: [{ phone_number: "+15551230001" }] });
    const anonymous = await fetch(`${server.url}/ws/${created.body.id}`, { headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
    expect(anonymous.status).toBe(401);
    const unknown = await fetch(`${server.url}/ws/tw-000000000000`, { headers: { authorization: `Bearer ${testAdminToken}`, upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
    expect([unknown.status, ((await unknown.json()) as any).error.code]).toEqual([404, "campaign.not_found"]);
  });
});
