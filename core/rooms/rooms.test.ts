import { afterEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { audioChunkReadyEvent, playbackQueueUpdatedEvent } from "../../shared/contracts/listening-room.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { openSocket, type TestSocket } from "../testing/campaign-socket-client.ts";
import { createTestCore, type TestCore, testAdminToken } from "../testing/core-test-app.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";
import { MetricsRegistry } from "../../shared/http/metrics.ts";
import { silentLogger } from "../../shared/log/logger.ts";
import { createRooms, roomAudioDirectoryOf } from "./rooms-deps.ts";
import { createRoomsRepository } from "./rooms.repository.ts";

const leadsCsv = "lead_id,vendor_lead_code,phone_number,first_name\r\n3001,A-1,+1 512 555 0100,Maria\r\n3002,A-2,+1 512 555 0101,\r\n";
const script = { greeting: "Hello {first_name}, thank you for taking our call today.", offer: "Fibre costs forty nine dollars a month." };
const threeSentences = "Good morning, everyone in the room. This is the second sentence of the message. And here comes the third and last one.";

let core: TestCore;
let server: RunningHttpServer | null = null;
let speechServer: OpenAiCompatibleServer | null = null;
const sockets: TestSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.socket.close();
  await server?.stop();
  server = null;
  await speechServer?.stop();
  speechServer = null;
  core?.dispose();
});

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as any });
const call = (method: string, path: string, body?: unknown) => core.admin(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then(json);
const anonymous = async (method: string, path: string, body?: string) => json(await core.app.request(path, { method, body, headers: body ? { "content-type": "application/json" } : {} }, { remoteAddress: "198.51.100.20" }));

/** A core serving on a port, with one studio campaign (its leads and script) and a way to open sockets. */
async function startRoom(env: Record<string, string> = {}, campaignId = "SPRING") {
  core = await createTestCore(env);
  server = startHttpServer({ fetch: (request, bindings) => core.app.fetch(request, bindings), hostname: "127.0.0.1", port: 0 });
  expect((await call("POST", "/api/v1/studio/campaigns", { id: campaignId, name: "Spring offer", language: "en" })).status).toBe(201);
  const leads = await core.admin(`/api/v1/studio/campaigns/${campaignId}/leads`, { method: "PUT", body: leadsCsv, headers: { "content-type": "text/csv" } });
  expect(leads.status).toBe(200);
  expect((await call("PUT", `/api/v1/studio/campaigns/${campaignId}/script`, { slots: script })).status).toBe(200);
  return campaignId;
}

async function listen(campaignId: string, query = "", headers: Record<string, string> = { authorization: `Bearer ${testAdminToken}` }) {
  const socket = openSocket(`${server!.url.replace("http:", "ws:")}/ws/${campaignId}${query}`, headers);
  sockets.push(socket);
  await socket.opened;
  await socket.next((message) => message.type === "playback_queue_updated" && message.reason === "snapshot", "the room's snapshot");
  return socket;
}

const chunksOf = (socket: TestSocket, requestId: string) => socket.messages.filter((message) => message.type === "audio_chunk_ready" && message.request_id === requestId).map((message) => audioChunkReadyEvent.parse(message));

async function requestIn(campaignId: string, requestId: string, status: string, timeoutMs = 60_000) {
  let found: any = null;
  await waitUntil(`request ${requestId} to be ${status}`, async () => {
    const { body } = await call("GET", `/api/campaigns/${campaignId}/audio/queue`);
    found = [body.current, ...body.pending, ...body.finished].find((request: any) => request?.request_id === requestId);
    return found?.status === status;
  }, timeoutMs, 50);
  return found;
}

/** Rows of a query on the core's own database handle. */
const rows = (query: ReturnType<typeof sql>) => core.deps.db.all<Record<string, unknown>>(query);

/** Moves the fake clock to the end of what the room has placed on its timeline, so the playing request completes. */
async function playOut(chunks: Array<{ start_at: number; duration_ms: number }>) {
  const end = Math.max(...chunks.map((chunk) => chunk.start_at + chunk.duration_ms));
  await core.clock.advance(Math.max(0, end - core.clock.now()) + 1);
}

describe("listening rooms", () => {
  test("a message is spoken sentence by sentence onto one timeline, announced on the socket, and completes once it has played", async () => {
    const campaignId = await startRoom();
    const listener = await listen(campaignId);
    const start = core.clock.now();
    const created = await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: threeSentences });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ campaign_id: campaignId, source: { kind: "text", text: threeSentences }, stream_url: `/api/audio/stream/${created.body.request_id}` });
    const requestId = created.body.request_id as string;

    await listener.next((message) => message.type === "audio_stream_started" && message.request_id === requestId, "the stream to start");
    await waitUntil("three chunks", () => chunksOf(listener, requestId).length === 3, 60_000);
    const chunks = chunksOf(listener, requestId);
    expect(chunks.map((chunk) => chunk.sequence)).toEqual([0, 1, 2]);
    expect(chunks.map((chunk) => chunk.text)).toEqual(["Good morning, everyone in the room.", "This is the second sentence of the message.", "And here comes the third and last one."]);
    // The first sentence starts the schedule lead after it was ready; each later one right where the previous ends.
    expect(chunks[0]!.start_at).toBe(start + core.config.roomScheduleLeadMs);
    expect(chunks[1]!.start_at).toBe(chunks[0]!.start_at + chunks[0]!.duration_ms);
    expect(chunks[2]!.start_at).toBe(chunks[1]!.start_at + chunks[1]!.duration_ms);
    for (const chunk of chunks) expect(chunk.duration_ms).toBeGreaterThan(500);

    // Each chunk's audio is a WAV Chromium decodes; its length is the announced duration.
    const audio = await core.admin(chunks[1]!.audio_url);
    expect(audio.status).toBe(200);
    expect(audio.headers.get("content-type")).toBe("audio/wav");
    const wav = new Uint8Array(await audio.arrayBuffer());
    expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe("RIFF");
    expect(Math.round(((wav.length - 44) / 48_000) * 1000)).toBe(chunks[1]!.duration_ms);

    // Still playing on the timeline: GENERATING until the clock passes the last chunk's end.
    expect((await requestIn(campaignId, requestId, "GENERATING")).chunks).toHaveLength(3);
    await playOut(chunks);
    const done = await requestIn(campaignId, requestId, "COMPLETED");
    expect(done.chunks.map((chunk: any) => chunk.status)).toEqual(["PLAYED", "PLAYED", "PLAYED"]);
    const completed = await listener.next((message) => message.type === "playback_queue_updated" && message.reason === "request_completed", "the queue update");
    expect(playbackQueueUpdatedEvent.parse(completed)).toMatchObject({ current: null, pending: [] });

    // The state is in the database too, with the delivery to the socket recorded.
    await core.deps.rooms.flushState();
    expect(await rows(sql`SELECT status FROM audio_playback_requests WHERE id = ${requestId}`)).toEqual([{ status: "COMPLETED" }]);
    expect(await rows(sql`SELECT sequence, status FROM playback_chunks WHERE request_id = ${requestId} ORDER BY sequence`)).toEqual([0, 1, 2].map((sequence) => ({ sequence, status: "PLAYED" })));
    expect(await rows(sql`SELECT COUNT(*) AS n FROM connection_playback_states WHERE request_id = ${requestId} AND delivered_at IS NOT NULL`)).toEqual([{ n: 3 }]);
    const metrics = await (await core.admin("/metrics")).text();
    expect(metrics).toContain('rooms_playback_requests_total{status="COMPLETED"} 1');
    expect(metrics).toMatch(/rooms_chunk_generation_seconds_count 3/);
  }, 120_000);

  test("a lead's line is spoken from the studio's script, and its WAV stream grows while it is spoken", async () => {
    const campaignId = await startRoom();
    const created = await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { lead_id: 3001, slot: "greeting" });
    expect(created).toMatchObject({ status: 202, body: { source: { kind: "lead", lead_id: 3001, slot: "greeting", text: "Hello Maria, thank you for taking our call today." } } });
    const stream = await core.admin(created.body.stream_url);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("audio/wav");
    const body = new Uint8Array(await stream.arrayBuffer());
    const request = await requestIn(campaignId, created.body.request_id, "GENERATING");
    const pcmBytes = request.chunks.reduce((sum: number, chunk: any) => sum + (chunk.duration_ms / 1000) * 48_000, 0);
    expect(new TextDecoder().decode(body.subarray(8, 16))).toBe("WAVEfmt ");
    expect(Math.abs(body.length - 44 - pcmBytes)).toBeLessThan(48 * request.chunks.length);

    expect(await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { lead_id: 3002, slot: "greeting" })).toMatchObject({ status: 422, body: { error: { code: "rooms.lead_field_missing" } } });
    expect(await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { lead_id: 9999, slot: "greeting" })).toMatchObject({ status: 404, body: { error: { code: "rooms.lead_not_found" } } });
    expect(await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { lead_id: 3001, slot: "farewell" })).toMatchObject({ status: 422, body: { error: { code: "rooms.slot_not_found" } } });
  }, 120_000);

  test("a failing speech server fails its request and the next one starts; a stalled one is given up after the stall timeout", async () => {
    speechServer = await startOpenAiCompatibleServer({ corpus: ["hello"] });
    speechServer.setSpeechBehaviour((request) => (request.input.includes("broken") ? { status: 500 } : request.input.includes("stuck") ? { hang: true } : null));
    const campaignId = await startRoom({ TTS_BASE_URL: speechServer.baseUrl, ROOM_STALL_TIMEOUT_SECONDS: "30" });
    const listener = await listen(campaignId);
    const failing = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: "The first sentence is spoken fine. The second one is broken on the server." })).body;
    const stalling = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: "This message gets stuck in the speech server." })).body;
    const healthy = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: "And this one is spoken after both." })).body;
    expect((await call("GET", `/api/campaigns/${campaignId}/audio/queue`)).body.pending.map((request: any) => request.request_id)).toEqual([stalling.request_id, healthy.request_id]);

    const failed = await requestIn(campaignId, failing.request_id, "FAILED");
    expect(failed.failure).toMatchObject({ code: "tts.server_error" });
    // What was spoken before the failure still plays; the next request follows it on the timeline.
    const spoken = chunksOf(listener, failing.request_id);
    expect(spoken.map((chunk) => chunk.sequence)).toEqual([0]);
    await playOut(spoken);
    await listener.next((message) => message.type === "audio_stream_started" && message.request_id === stalling.request_id, "the stalling request to start");
    await waitUntil("the speech server to be asked", () => speechServer!.requests.some((request) => (request.body as any)?.input?.includes("stuck")), 10_000);
    expect((await requestIn(campaignId, stalling.request_id, "GENERATING")).chunks).toEqual([]);
    await core.clock.advance(30_000);
    expect((await requestIn(campaignId, stalling.request_id, "FAILED")).failure).toMatchObject({ code: "rooms.generation_stalled" });

    await listener.next((message) => message.type === "audio_stream_started" && message.request_id === healthy.request_id, "the healthy request to start");
    await waitUntil("the healthy request's chunk", () => chunksOf(listener, healthy.request_id).length === 1, 60_000);
    const last = chunksOf(listener, healthy.request_id);
    expect(last[0]!.start_at).toBeGreaterThanOrEqual(spoken[0]!.start_at + spoken[0]!.duration_ms);
    await playOut(last);
    await requestIn(campaignId, healthy.request_id, "COMPLETED");
    const metrics = await (await core.admin("/metrics")).text();
    expect(metrics).toContain('rooms_playback_requests_total{status="FAILED"} 2');
  }, 120_000);

  test("speech that falls behind the timeline shifts what follows, and the shift is announced", async () => {
    speechServer = await startOpenAiCompatibleServer({ corpus: ["hello"] });
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    speechServer.setSpeechBehaviour((request) => (request.input.startsWith("This is the second") ? { until: held } : null));
    const campaignId = await startRoom({ TTS_BASE_URL: speechServer.baseUrl });
    const listener = await listen(campaignId);
    const created = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: threeSentences })).body;
    const [first] = await (async () => {
      await waitUntil("the first chunk", () => chunksOf(listener, created.request_id).length === 1, 60_000);
      return chunksOf(listener, created.request_id);
    })();
    // The first sentence has played out while the second is still being spoken.
    await core.clock.set(first!.start_at + first!.duration_ms + 5_000);
    release();
    await waitUntil("three chunks", () => chunksOf(listener, created.request_id).length === 3, 60_000);
    const [, second, third] = chunksOf(listener, created.request_id);
    expect(second!.start_at).toBe(first!.start_at + first!.duration_ms + 5_000 + core.config.roomScheduleLeadMs);
    expect(third!.start_at).toBe(second!.start_at + second!.duration_ms);
    const shifted = listener.messages.filter((message) => message.type === "playback_queue_updated" && message.reason === "timeline_shifted");
    expect(shifted).toHaveLength(1);
    expect(playbackQueueUpdatedEvent.parse(shifted[0]).current!.chunks.map((chunk) => chunk.start_at)).toEqual([first!.start_at, second!.start_at]);
  }, 120_000);

  test("an LLM-written message is spoken sentence by sentence while the model is still writing", async () => {
    speechServer = await startOpenAiCompatibleServer({ corpus: ["hello"] });
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    speechServer.setChatBehaviour(() => ({ stream: ["Hello there, this is the first ", "sentence of the answer. ", { until: held }, "Now the model writes ", "the second sentence."] }));
    const campaignId = await startRoom({ LLM_BASE_URL: speechServer.baseUrl });
    const listener = await listen(campaignId);
    const created = await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { prompt: "Greet the shop's customers and mention the spring sale." });
    expect(created.status).toBe(202);
    const first = await listener.next((message) => message.type === "audio_chunk_ready" && message.request_id === created.body.request_id, "the first sentence", 60_000);
    // The first sentence is ready while the model's answer is held half-written.
    expect(first).toMatchObject({ sequence: 0, text: "Hello there, this is the first sentence of the answer." });
    release();
    await waitUntil("the second sentence", () => chunksOf(listener, created.body.request_id).length === 2, 60_000);
    expect(chunksOf(listener, created.body.request_id)[1]!.text).toBe("Now the model writes the second sentence.");
    const chat = speechServer.requests.find((request) => request.path === "/v1/chat/completions")!.body as any;
    expect(chat.stream).toBe(true);
    expect(chat.messages.at(-1)).toEqual({ role: "user", content: "Greet the shop's customers and mention the spring sale." });
  }, 120_000);

  test("when the database refuses writes the room plays on from memory, and writes its state once the database takes it", async () => {
    const campaignId = await startRoom();
    const listener = await listen(campaignId);
    await core.deps.db.run(sql.raw("CREATE TRIGGER refuse_chunks BEFORE INSERT ON playback_chunks BEGIN SELECT RAISE(ABORT, 'the disk refused the write'); END"));
    try {
      const created = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: threeSentences })).body;
      await waitUntil("three chunks", () => chunksOf(listener, created.request_id).length === 3, 60_000);
      expect(core.deps.rooms.unwrittenChanges()).toBeGreaterThanOrEqual(3);
      const refusal = (await core.deps.rooms.flushState().catch((error: Error) => error)) as Error & { cause?: Error };
      expect(refusal.cause?.message ?? refusal.message).toContain("the disk refused the write");
      expect(await rows(sql`SELECT COUNT(*) AS n FROM playback_chunks`)).toEqual([{ n: 0 }]);
      await playOut(chunksOf(listener, created.request_id));
      expect((await requestIn(campaignId, created.request_id, "COMPLETED")).chunks).toHaveLength(3);

      await core.deps.db.run(sql.raw("DROP TRIGGER refuse_chunks"));
      await core.deps.rooms.flushState();
      expect(core.deps.rooms.unwrittenChanges()).toBe(0);
      expect(await rows(sql`SELECT status FROM audio_playback_requests WHERE id = ${created.request_id}`)).toEqual([{ status: "COMPLETED" }]);
      expect(await rows(sql`SELECT sequence, status FROM playback_chunks WHERE request_id = ${created.request_id} ORDER BY sequence`)).toEqual([0, 1, 2].map((sequence) => ({ sequence, status: "PLAYED" })));
    } finally {
      await core.deps.db.run(sql.raw("DROP TRIGGER IF EXISTS refuse_chunks"));
    }
  }, 120_000);

  test("a listener that drops and returns rejoins at the current position while the others go on", async () => {
    const campaignId = await startRoom();
    const staying = await listen(campaignId);
    const leaving = await listen(campaignId);
    const created = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: threeSentences })).body;
    await leaving.next((message) => message.type === "audio_chunk_ready" && message.request_id === created.request_id, "the first chunk");
    leaving.socket.close();
    await waitUntil("three chunks", () => chunksOf(staying, created.request_id).length === 3, 60_000);
    const chunks = chunksOf(staying, created.request_id);
    // The clock passes the first chunk's end: a returning listener hears the rest, from where the room is.
    await core.clock.set(chunks[1]!.start_at + 100);
    const back = await listen(campaignId);
    const snapshot = chunksOf(back, created.request_id);
    expect(snapshot.map((chunk) => [chunk.chunk_id, chunk.start_at])).toEqual(chunks.slice(1).map((chunk) => [chunk.chunk_id, chunk.start_at]));
    expect(back.messages.find((message) => message.reason === "snapshot")).toMatchObject({ current: { request_id: created.request_id, status: "GENERATING" } });
    await playOut(chunks);
    await requestIn(campaignId, created.request_id, "COMPLETED");
    await core.deps.rooms.flushState();
    const connections = await rows(sql`SELECT caller_kind, closed_at IS NOT NULL AS closed FROM websocket_connections ORDER BY opened_at`);
    expect(connections).toHaveLength(3);
    expect(connections.filter((row) => row.closed === 1)).toHaveLength(1);
  }, 120_000);

  test("acks and clock probes on the socket; bad messages are refused with a code and the room goes on", async () => {
    const campaignId = await startRoom();
    expect((await call("POST", "/api/v1/studio/campaigns", { id: "OTHER", name: "Other", language: "en" })).status).toBe(201);
    const other = (await call("POST", "/api/campaigns/OTHER/audio/requests", { text: "A message for the other campaign only." })).body;
    const listener = await listen(campaignId);
    const created = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: "One short message for this room." })).body;
    const chunk = await listener.next((message) => message.type === "audio_chunk_ready" && message.request_id === created.request_id, "the chunk", 60_000);
    await waitUntil("the other campaign's chunk", async () => (await call("GET", "/api/campaigns/OTHER/audio/queue")).body.current?.chunks.length === 1, 60_000);
    const otherChunk = (await call("GET", "/api/campaigns/OTHER/audio/queue")).body.current.chunks[0];
    expect(other.request_id).toBeString();

    listener.socket.send(JSON.stringify({ type: "clock_probe", client_sent: 12345.5 }));
    const reply = await listener.next((message) => message.type === "clock_reply", "the clock reply");
    expect(reply.client_sent).toBe(12345.5);
    expect(reply.server_sent).toBeGreaterThanOrEqual(reply.server_received);

    listener.socket.send(JSON.stringify({ type: "audio_played", chunk_id: otherChunk.chunk_id }));
    expect(await listener.next((message) => message.type === "error" && message.in_reply_to === "audio_played", "the refusal")).toMatchObject({ code: "rooms.chunk_not_in_campaign" });
    listener.socket.send(JSON.stringify({ type: "audio_played", chunk_id: "not-a-chunk" }));
    await waitUntil("two refusals", () => listener.messages.filter((message) => message.type === "error").length === 2, 5_000, 5);
    expect(listener.messages.filter((message) => message.type === "error")[1]).toMatchObject({ code: "rooms.invalid_ack" });
    listener.socket.send(JSON.stringify({ type: "clock_probe", client_sent: "now" }));
    listener.socket.send(JSON.stringify({ type: "audio_played", chunk_id: "5f0e7a3c-0000-4000-8000-000000000000" }));
    listener.socket.send("x".repeat(20_000));
    await waitUntil("five refusals", () => listener.messages.filter((message) => message.type === "error").length === 5, 5_000, 5);
    expect(listener.messages.filter((message) => message.type === "error").slice(2).map((message) => message.code)).toEqual(["rooms.invalid_clock_probe", "rooms.chunk_not_found", "socket.message_too_large"]);

    listener.socket.send(JSON.stringify({ type: "audio_played", chunk_id: chunk.chunk_id }));
    await waitUntil("the ack to be recorded", async () => {
      await core.deps.rooms.flushState();
      const acked = await rows(sql`SELECT played_at FROM connection_playback_states WHERE chunk_id = ${chunk.chunk_id}`);
      return acked[0]?.played_at === core.clock.now();
    }, 5_000);
    // The room went on: the message completes.
    await playOut([chunk as any]);
    await requestIn(campaignId, created.request_id, "COMPLETED");
    expect(listener.closed()).toBeNull();

    // The HTTP fallback ack, for the caller's own campaign's chunk.
    expect(await call("POST", `/api/audio/played/${chunk.chunk_id}`)).toEqual({ status: 200, body: { chunk_id: chunk.chunk_id, request_id: created.request_id, recorded: true } });
    expect(await call("POST", "/api/audio/played/5f0e7a3c-0000-4000-8000-000000000000")).toMatchObject({ status: 404, body: { error: { code: "rooms.chunk_not_found" } } });
    expect(await call("POST", "/api/audio/played/nope")).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
  }, 120_000);

  test("listen-only links: made per campaign, they listen and nothing else, and a revoked one stops at once", async () => {
    const campaignId = await startRoom();
    expect((await call("POST", "/api/v1/studio/campaigns", { id: "OTHER", name: "Other", language: "en" })).status).toBe(201);
    const link = await call("POST", `/api/campaigns/${campaignId}/audio/listen-links`, { label: "Client: Acme" });
    expect(link).toMatchObject({ status: 201, body: { campaign_id: campaignId, label: "Client: Acme", revoked_at: null } });
    expect(link.body.url).toBe(`/rooms/${campaignId}?listen=${link.body.token}`);
    const otherLink = (await call("POST", "/api/campaigns/OTHER/audio/listen-links", { label: "Other client" })).body;
    const token = link.body.token as string;

    const listener = await listen(campaignId, `?listen=${token}`, {});
    const created = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: "A message the client hears too." })).body;
    const chunk = await listener.next((message) => message.type === "audio_chunk_ready", "the chunk", 60_000);
    expect((await anonymous("GET", `/api/campaigns/${campaignId}/audio/queue?listen=${token}`)).status).toBe(200);
    expect((await core.app.request(`${chunk.audio_url}?listen=${token}`)).status).toBe(200);
    expect((await core.app.request(`/api/audio/stream/${created.request_id}?listen=${token}`)).status).toBe(200);
    expect((await anonymous("POST", `/api/audio/played/${chunk.chunk_id}?listen=${token}`)).status).toBe(200);

    // Nothing but listening, and only to its own campaign.
    expect(await anonymous("POST", `/api/campaigns/${campaignId}/audio/requests?listen=${token}`, JSON.stringify({ text: "Hello." }))).toMatchObject({ status: 403, body: { error: { code: "rooms.listen_only" } } });
    expect(await anonymous("GET", `/api/campaigns/${campaignId}/audio/listen-links?listen=${token}`)).toMatchObject({ status: 403, body: { error: { code: "rooms.listen_only" } } });
    expect(await anonymous("GET", `/api/campaigns/OTHER/audio/queue?listen=${token}`)).toMatchObject({ status: 401, body: { error: { code: "auth.invalid_token" } } });
    expect(await anonymous("GET", `/api/campaigns/${campaignId}/audio/queue?listen=${otherLink.token}`)).toMatchObject({ status: 401, body: { error: { code: "auth.invalid_token" } } });
    expect(await anonymous("GET", `${chunk.audio_url}?listen=${otherLink.token}`)).toMatchObject({ status: 401, body: { error: { code: "auth.invalid_token" } } });
    expect(await anonymous("GET", `/api/campaigns/${campaignId}/audio/queue`)).toMatchObject({ status: 401 });
    expect(await anonymous("GET", `/api/campaigns/${campaignId}/audio/queue?listen=`)).toMatchObject({ status: 401, body: { error: { code: "auth.invalid_token" } } });

    const listed = await call("GET", `/api/campaigns/${campaignId}/audio/listen-links`);
    expect(listed.body.links).toEqual([expect.objectContaining({ id: link.body.id, label: "Client: Acme", revoked_at: null })]);
    expect(JSON.stringify(listed.body)).not.toContain(token);

    expect(await call("DELETE", `/api/campaigns/OTHER/audio/listen-links/${link.body.id}`)).toMatchObject({ status: 404, body: { error: { code: "rooms.link_not_found" } } });
    const revoked = await call("DELETE", `/api/campaigns/${campaignId}/audio/listen-links/${link.body.id}`);
    expect(revoked).toMatchObject({ status: 200, body: { id: link.body.id, revoked_at: core.clock.now() } });
    await waitUntil("the listener's socket to close", () => listener.closed() !== null, 5_000, 5);
    expect(listener.closed()).toEqual({ code: 4403, reason: "the listen link was revoked" });
    expect(await anonymous("GET", `/api/campaigns/${campaignId}/audio/queue?listen=${token}`)).toMatchObject({ status: 401, body: { error: { code: "auth.invalid_token" } } });
    const refused = await fetch(`${server!.url}/ws/${campaignId}?listen=${token}`, { headers: { upgrade: "websocket", connection: "upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as any).error.code).toBe("auth.invalid_token");
  }, 120_000);

  test("bad requests are refused with a code and change nothing", async () => {
    const campaignId = await startRoom();
    const post = (body: unknown) => call("POST", `/api/campaigns/${campaignId}/audio/requests`, body);
    expect(await post({})).toMatchObject({ status: 400, body: { error: { code: "rooms.invalid_request" } } });
    expect(await post({ text: "Hello there.", prompt: "Say hello." })).toMatchObject({ status: 400, body: { error: { code: "rooms.invalid_request" } } });
    expect(await post({ lead_id: 3001 })).toMatchObject({ status: 400, body: { error: { code: "rooms.invalid_request" } } });
    expect(await post({ text: "" })).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(await post({ text: "x".repeat(5001) })).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(await post({ text: "Hello.", voice: "en" })).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(await post({ lead_id: "3001", slot: "greeting" })).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(await post({ prompt: "Say hello to the customers." })).toMatchObject({ status: 409, body: { error: { code: "rooms.llm_not_configured" } } });
    const malformed = await core.admin(`/api/campaigns/${campaignId}/audio/requests`, { method: "POST", body: "{not json", headers: { "content-type": "application/json" } });
    expect((await json(malformed)).body.error.code).toBe("request.malformed_json");
    expect(await call("POST", "/api/campaigns/NOPE/audio/requests", { text: "Hello there." })).toMatchObject({ status: 404, body: { error: { code: "campaign.not_found" } } });
    expect(await call("GET", "/api/campaigns/NOPE/audio/queue")).toMatchObject({ status: 404, body: { error: { code: "campaign.not_found" } } });
    expect(await call("GET", "/api/campaigns/bad%20id/audio/queue")).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(await call("GET", "/api/audio/stream/5f0e7a3c-0000-4000-8000-000000000000")).toMatchObject({ status: 404, body: { error: { code: "rooms.request_not_found" } } });
    expect(await call("GET", "/api/audio/chunks/5f0e7a3c-0000-4000-8000-000000000000")).toMatchObject({ status: 404, body: { error: { code: "rooms.chunk_not_found" } } });
    expect(await call("POST", `/api/campaigns/${campaignId}/audio/listen-links`, { label: "" })).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(await call("DELETE", `/api/campaigns/${campaignId}/audio/listen-links/nope`)).toMatchObject({ status: 400, body: { error: { code: "request.invalid" } } });
    expect(await call("DELETE", `/api/campaigns/${campaignId}/audio/listen-links/5f0e7a3c-0000-4000-8000-000000000000`)).toMatchObject({ status: 404, body: { error: { code: "rooms.link_not_found" } } });
    expect((await call("GET", `/api/campaigns/${campaignId}/audio/queue`)).body).toMatchObject({ current: null, pending: [], finished: [] });
    expect(await anonymous("POST", `/api/campaigns/${campaignId}/audio/requests`, JSON.stringify({ text: "Hello there." }))).toMatchObject({ status: 401 });
  }, 60_000);

  test("played chunks are removed with their audio after the retention; a restart fails the interrupted request and resumes the waiting ones", async () => {
    const campaignId = await startRoom();
    const created = (await call("POST", `/api/campaigns/${campaignId}/audio/requests`, { text: "A message that will be cleaned up later." })).body;
    await waitUntil("the chunk", async () => (await call("GET", `/api/campaigns/${campaignId}/audio/queue`)).body.current?.chunks.length === 1, 60_000);
    const chunks = (await call("GET", `/api/campaigns/${campaignId}/audio/queue`)).body.current.chunks;
    await playOut(chunks);
    await requestIn(campaignId, created.request_id, "COMPLETED");
    await core.deps.rooms.flushState();
    const audioPath = join(roomAudioDirectoryOf(core.config), created.request_id, "0.pcm");
    expect(existsSync(audioPath)).toBe(true);
    await core.clock.advance(6 * 24 * 3600_000);
    expect(await core.deps.rooms.removeOldChunks()).toBe(0);
    await core.clock.advance(2 * 24 * 3600_000);
    expect(await core.deps.rooms.removeOldChunks()).toBe(1);
    expect(existsSync(audioPath)).toBe(false);
    expect(existsSync(join(roomAudioDirectoryOf(core.config), created.request_id))).toBe(false);
    expect(await call("GET", chunks[0].audio_url)).toMatchObject({ status: 410, body: { error: { code: "rooms.chunk_audio_removed" } } });

    // Rows a stopped core left behind: one being spoken, one waiting.
    const repository = createRoomsRepository(core.deps.db);
    const now = core.clock.now();
    const leftBehind = { campaignId, sourceKind: "text" as const, failureCode: null, failureMessage: null, createdAt: now, finishedAt: null };
    await repository.insertRequest({ ...leftBehind, id: "5f0e7a3c-0000-4000-8000-000000000001", sourceJson: JSON.stringify({ kind: "text", text: "Cut off." }), status: "GENERATING", position: now * 1000, startedAt: now });
    await repository.insertRequest({ ...leftBehind, id: "5f0e7a3c-0000-4000-8000-000000000002", sourceJson: JSON.stringify({ kind: "text", text: "Still waiting for its turn." }), status: "PENDING", position: now * 1000 + 1, startedAt: null });
    const restarted = createRooms({ config: core.config, db: core.deps.db, clock: core.clock, logger: silentLogger, metrics: new MetricsRegistry() });
    expect(await restarted.recover(async (id) => (id === campaignId ? { language: "en", voice: null } : null))).toEqual({ requeued: 1, failed: 1 });
    expect(await repository.findRequest("5f0e7a3c-0000-4000-8000-000000000001")).toMatchObject({ status: "FAILED", failureCode: "rooms.interrupted" });
    const resumed = await restarted.queue(campaignId);
    expect(resumed.current).toMatchObject({ request_id: "5f0e7a3c-0000-4000-8000-000000000002", status: "GENERATING" });
    await waitUntil("the resumed request's chunk", async () => ((await restarted.queue(campaignId)).current?.chunks.length ?? 0) === 1, 60_000);
    await playOut((await restarted.queue(campaignId)).current!.chunks);
    await restarted.settled();
    expect((await restarted.queue(campaignId)).finished[0]).toMatchObject({ request_id: "5f0e7a3c-0000-4000-8000-000000000002", status: "COMPLETED" });
  }, 120_000);
});
