import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { audioChunkReadyEvent, playbackQueueUpdatedEvent } from "../../shared/contracts/listening-room.ts";
import { type RunningHttpServer, startHttpServer } from "../../shared/runtime/http-server.ts";
import { waitUntil } from "../../shared/testing/wait-until.ts";
import { openSocket, type TestSocket } from "../testing/campaign-socket-client.ts";
import { createTestCore, type TestCore, testAdminToken } from "../testing/core-test-app.ts";
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from "../testing/openai-compatible-server.ts";
import { roomAudioDirectoryOf } from "./rooms-deps.ts";

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
    const db = new Database(core.database.url.slice("file:".length), { readonly: true });
    try {
      expect(db.query("SELECT status FROM audio_playback_requests WHERE id = ?").get(requestId)).toEqual({ status: "COMPLETED" });
      expect(db.query("SELECT sequence, status FROM playback_chunks WHERE request_id = ? ORDER BY sequence").all(requestId)).toEqual([0, 1, 2].map((sequence) => ({ sequence, status: "PLAYED" })));
      expect(db.query("SELECT COUNT(*) AS n FROM connection_playback_states WHERE request_id = ? AND delivered_at IS NOT NULL").get(requestId)).toEqual({ n: 3 });
    } finally {
      db.close();
    }
    const metrics = await (await core.admin("/metrics")).text();
    expect(metrics).toContain('rooms_playback_requests_total{status="COMPLETED"} 1');
    expect(metrics).toMatch(/rooms_chunk_generation_seconds_count 3/);
  }, 120_000);
});
