import type { Context } from "hono";
import { z } from "zod";
import { currentOperator, type SessionDeps } from "../../shared/accounts/operator-session.ts";
import { audioPlayedMessage, clockProbeMessage } from "../../shared/contracts/listening-room.ts";
import { campaignIdPattern } from "../../shared/contracts/campaign-package.ts";
import { AppError, badRequest, forbidden, notFound, unauthorized } from "../../shared/http/app-error.ts";
import type { AppEnv, HttpApp } from "../../shared/http/create-http-app.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import { encodePcmWav } from "../../shared/audio/wav-format.ts";
import type { CampaignSocket } from "../campaign-socket/campaign-socket.ts";
import { requireStudioCaller } from "../studio/studio.routes.ts";
import { roomPcm } from "./room-audio.ts";
import { acknowledgeChunk, chunkInCampaign, createListenLink, listenLinkFor, listListenLinks, type PlaybackInput, revokeListenLink, roomQueue, type RoomsDeps, startPlayback } from "./rooms.usecases.ts";
import { readFile } from "node:fs/promises";

const printable = /^[^\u0000-\u0008\u000b-\u001f\u007f]+$/;
const playbackBody = z
  .object({
    text: z.string({ message: "must be the message as text" }).trim().min(1, { message: "may not be empty" }).max(5000, { message: "may be at most 5000 characters" }).regex(printable, { message: "may not contain control characters" }).optional(),
    lead_id: z.number({ message: "must be the lead's id as a number" }).int({ message: "must be a whole number" }).positive({ message: "must be positive" }).optional(),
    slot: z.string({ message: "must be the script slot's name as text" }).min(1).max(32, { message: "may be at most 32 characters" }).optional(),
    prompt: z.string({ message: "must be the prompt as text" }).trim().min(1, { message: "may not be empty" }).max(2000, { message: "may be at most 2000 characters" }).regex(printable, { message: "may not contain control characters" }).optional(),
  })
  .strict();
const linkBody = z.object({
  label: z.string({ message: "must be text" }).trim().min(1, { message: "may not be empty" }).max(100, { message: "may be at most 100 characters" }).regex(printable, { message: "may not contain control characters" }),
});
const campaignParameter = z.string().regex(campaignIdPattern, { message: "the campaign id in the path is not a valid id" });
const uuidParameter = (what: string) => z.string().uuid({ message: `the ${what} id in the path is not a valid id` });

/** Exactly one of the three forms. */
function playbackInputOf(body: z.output<typeof playbackBody>): PlaybackInput {
  const forms = [body.text !== undefined, body.lead_id !== undefined || body.slot !== undefined, body.prompt !== undefined].filter(Boolean).length;
  if (forms !== 1) throw badRequest("rooms.invalid_request", "send exactly one of {text}, {lead_id, slot} or {prompt}");
  if (body.text !== undefined) return { text: body.text };
  if (body.prompt !== undefined) return { prompt: body.prompt };
  if (body.lead_id === undefined || body.slot === undefined) throw badRequest("rooms.invalid_request", "a lead's line needs both lead_id and slot");
  return { lead_id: body.lead_id, slot: body.slot };
}

/** Who is calling: an operator or a script with ADMIN_TOKEN (anything), or a listen link's holder (its campaign, listening only). */
type RoomCaller = { kind: "operator"; name: string } | { kind: "admin" } | { kind: "listener"; linkId: string; campaignId: string };

export function registerRoomsRoutes(app: HttpApp, deps: RoomsDeps & { adminToken: string | undefined; sessions: SessionDeps; socket: CampaignSocket }): void {
  // Everyone signed in who reviews a campaign may start a message in its room and hand out listen links.
  const studioCaller = requireStudioCaller(deps, { feature: "rooms", name: "the listening rooms", writesNeedAdmin: false });

  /** The caller; `listenFor` says which campaign a listen token must belong to (absent: listeners are refused). */
  const callerOf = async (c: Context<AppEnv>, listenFor?: () => Promise<string | null>): Promise<RoomCaller> => {
    const token = c.req.query("listen");
    if (token !== undefined) {
      if (!listenFor) throw forbidden("rooms.listen_only", "a listen link may only listen: sign in as an operator to do this");
      const campaignId = await listenFor();
      const link = campaignId === null ? null : await listenLinkFor(deps, campaignId, token);
      if (!link || campaignId === null) throw unauthorized("auth.invalid_token", "this listen link is not valid here, or it was revoked: ask for a new one");
      return { kind: "listener", linkId: link.linkId, campaignId };
    }
    await studioCaller(c, async () => {});
    const operator = await currentOperator(c, deps.sessions);
    return operator ? { kind: "operator", name: operator.username } : { kind: "admin" };
  };
  const campaignIdOf = (c: Context) => campaignParameter.parse(c.req.param("id"));

  app.post("/api/campaigns/:id/audio/requests", async (c) => {
    await callerOf(c);
    const input = playbackInputOf(await readJsonBody(c, playbackBody));
    return c.json(await startPlayback(deps, campaignIdOf(c), input), 202);
  });

  app.get("/api/campaigns/:id/audio/queue", async (c) => {
    const campaignId = campaignIdOf(c);
    await callerOf(c, async () => campaignId);
    return c.json(await roomQueue(deps, campaignId));
  });

  app.get("/api/campaigns/:id/audio/listen-links", async (c) => {
    await callerOf(c);
    return c.json({ links: await listListenLinks(deps, campaignIdOf(c)) });
  });

  app.post("/api/campaigns/:id/audio/listen-links", async (c) => {
    await callerOf(c);
    const body = await readJsonBody(c, linkBody);
    return c.json(await createListenLink(deps, campaignIdOf(c), body.label), 201);
  });

  app.delete("/api/campaigns/:id/audio/listen-links/:link_id", async (c) => {
    await callerOf(c);
    const linkId = uuidParameter("link").parse(c.req.param("link_id"));
    return c.json(await revokeListenLink(deps, campaignIdOf(c), linkId));
  });

  app.get("/api/audio/stream/:id", async (c) => {
    const requestId = uuidParameter("request").parse(c.req.param("id"));
    const campaignId = () => deps.rooms.findRequestCampaign(requestId);
    const caller = await callerOf(c, campaignId);
    if (caller.kind !== "listener" && (await campaignId()) === null) throw notFound("rooms.request_not_found", `no playback request '${requestId}'`);
    const body = await deps.rooms.streamRequest(requestId);
    if (!body) throw notFound("rooms.request_not_found", `no playback request '${requestId}'`);
    return new Response(body, { headers: { "content-type": "audio/wav", "cache-control": "no-store" } });
  });

  app.get("/api/audio/chunks/:id", async (c) => {
    const chunkId = uuidParameter("chunk").parse(c.req.param("id"));
    const caller = await callerOf(c, async () => (await deps.rooms.findChunk(chunkId))?.campaignId ?? null);
    const chunk = await chunkInCampaign(deps, chunkId, caller.kind === "listener" ? caller.campaignId : null);
    let pcm: Uint8Array;
    try {
      pcm = new Uint8Array(await readFile(chunk.audioPath));
    } catch {
      throw new AppError("rooms.chunk_audio_removed", 410, `chunk '${chunkId}' played long ago and its audio was removed`);
    }
    return new Response(encodePcmWav(pcm, { sampleRate: roomPcm.sampleRate, channels: roomPcm.channels }) as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": "audio/wav", "cache-control": "private, max-age=86400, immutable" },
    });
  });

  app.post("/api/audio/played/:chunk_id", async (c) => {
    const chunkId = uuidParameter("chunk").parse(c.req.param("chunk_id"));
    const caller = await callerOf(c, async () => (await deps.rooms.findChunk(chunkId))?.campaignId ?? null);
    const listener = caller.kind === "listener" ? `link:${caller.linkId}` : caller.kind === "operator" ? `operator:${caller.name}` : "admin";
    const chunk = await acknowledgeChunk(deps, `http:${listener}`, chunkId, caller.kind === "listener" ? caller.campaignId : null);
    return c.json({ chunk_id: chunk.id, request_id: chunk.requestId, recorded: true });
  });

  registerRoomSocketHandlers(deps);
}

/** The room's part of the campaign socket: its snapshot, the listeners' acks and clock probes, and listen links. */
function registerRoomSocketHandlers(deps: RoomsDeps & { socket: CampaignSocket }): void {
  const { socket, rooms, clock } = deps;
  socket.addListenerCheck((campaignId, token) => listenLinkFor(deps, campaignId, token));
  socket.onOpen((connection) => {
    const caller = connection.caller;
    rooms.connectionOpened({
      id: connection.id,
      campaignId: connection.campaignId,
      callerKind: caller.kind,
      caller: caller.kind === "operator" ? caller.operator.username : caller.kind === "listener" ? caller.linkId : null,
      openedAt: connection.openedAt,
    });
    return rooms.snapshot(connection.campaignId);
  });
  socket.onClose((connection) => rooms.connectionClosed(connection.id));
  socket.onMessage("clock_probe", (connection, message) => {
    const serverReceived = preciseNow(clock);
    const probe = clockProbeMessage.safeParse(message);
    if (!probe.success) throw badRequest("rooms.invalid_clock_probe", probe.error.issues[0]?.message ?? "a clock probe is {type, client_sent}");
    connection.send({ type: "clock_reply", client_sent: probe.data.client_sent, server_received: serverReceived, server_sent: preciseNow(clock) });
  });
  socket.onMessage("audio_played", async (connection, message) => {
    const played = audioPlayedMessage.safeParse(message);
    if (!played.success) throw badRequest("rooms.invalid_ack", played.error.issues[0]?.message ?? "an ack is {type, chunk_id}");
    await acknowledgeChunk(deps, connection.id, played.data.chunk_id, connection.campaignId);
  });
}

/** The clock with sub-millisecond precision when it is the system's (probes need it; a test clock is taken as it is). */
function preciseNow(clock: { now(): number }): number {
  const now = clock.now();
  const precise = performance.timeOrigin + performance.now();
  return Math.abs(precise - now) < 5 ? precise : now;
}
