import { randomBytes, randomUUID } from "node:crypto";
import { AppError, conflict, notFound, unprocessable } from "../../shared/http/app-error.ts";
import { sha256Hex } from "../../shared/runtime/hashing.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CampaignSocket } from "../campaign-socket/campaign-socket.ts";
import type { StudioRepository } from "../studio/studio.repository.ts";
import { renderSlot } from "../studio/studio-script.ts";
import type { PlaybackSource, RoomEngine } from "./room-engine.ts";
import type { ListenLinkRow, RoomsRepository } from "./rooms.repository.ts";

export interface RoomsDeps {
  rooms: RoomEngine;
  repository: RoomsRepository;
  studio: StudioRepository;
  clock: Clock;
  socket: Pick<CampaignSocket, "closeListener">;
  /** Whether a chat model is configured to write `{prompt}` messages. */
  promptsEnabled: boolean;
}

export type PlaybackInput = { text: string } | { lead_id: number; slot: string } | { prompt: string };

async function campaignOf(deps: Pick<RoomsDeps, "studio">, campaignId: string) {
  const campaign = await deps.studio.findCampaign(campaignId);
  if (!campaign) throw notFound("campaign.not_found", `no campaign '${campaignId}'`);
  return campaign;
}

/** Queues a message in the campaign's room; the room speaks it when its turn comes. */
export async function startPlayback(deps: RoomsDeps, campaignId: string, input: PlaybackInput) {
  const campaign = await campaignOf(deps, campaignId);
  let source: PlaybackSource;
  if ("text" in input) source = { kind: "text", text: input.text };
  else if ("prompt" in input) {
    if (!deps.promptsEnabled) throw conflict("rooms.llm_not_configured", "no chat model is configured to write a message from a prompt: set LLM_BASE_URL (or LLM_API_KEY), or send {text}");
    source = { kind: "prompt", prompt: input.prompt };
  } else {
    const lead = await deps.studio.findLead(campaignId, input.lead_id);
    if (!lead) throw notFound("rooms.lead_not_found", `campaign '${campaignId}' has no lead ${input.lead_id}`);
    const template = campaign.script[input.slot];
    if (template === undefined) throw unprocessable("rooms.slot_not_found", `the campaign's script has no slot '${input.slot}' (it has: ${Object.keys(campaign.script).join(", ") || "none"})`);
    const generated = (await deps.studio.linesOf(campaignId, [lead.leadId])).get(lead.leadId)?.find((line) => line.slot === input.slot);
    let text = generated?.text;
    if (text === undefined) {
      const rendered = renderSlot(input.slot, template, lead);
      if (!rendered.ok) throw unprocessable("rooms.lead_field_missing", `lead ${lead.leadId} has no value for ${rendered.missing.map((item) => `{${item.field}}`).join(", ")} in slot '${input.slot}'`);
      text = rendered.text;
    }
    source = { kind: "lead", leadId: lead.leadId, slot: input.slot, text };
  }
  return deps.rooms.submit(campaignId, { language: campaign.language, voice: campaign.voice }, source);
}

export async function roomQueue(deps: RoomsDeps, campaignId: string) {
  await campaignOf(deps, campaignId);
  return deps.rooms.queue(campaignId);
}

function presentLink(link: ListenLinkRow) {
  return { id: link.id, campaign_id: link.campaignId, label: link.label, created_at: link.createdAt, revoked_at: link.revokedAt };
}

/** A listen-only link: its token is returned once and kept only as a hash. */
export async function createListenLink(deps: RoomsDeps, campaignId: string, label: string) {
  await campaignOf(deps, campaignId);
  const token = randomBytes(24).toString("base64url");
  const link = { id: randomUUID(), campaignId, label, tokenHash: sha256Hex(token), createdAt: deps.clock.now() };
  await deps.repository.createListenLink(link);
  return { ...presentLink({ ...link, revokedAt: null }), token, url: `/rooms/${encodeURIComponent(campaignId)}?listen=${token}` };
}

export async function listListenLinks(deps: RoomsDeps, campaignId: string) {
  await campaignOf(deps, campaignId);
  return (await deps.repository.listenLinksOf(campaignId)).map(presentLink);
}

/** Revokes a link; the sockets opened with it are closed at once. */
export async function revokeListenLink(deps: RoomsDeps, campaignId: string, linkId: string) {
  await campaignOf(deps, campaignId);
  const link = await deps.repository.revokeListenLink(campaignId, linkId, deps.clock.now());
  if (!link) throw notFound("rooms.link_not_found", `campaign '${campaignId}' has no listen link '${linkId}'`);
  deps.socket.closeListener(link.id, "the listen link was revoked");
  return presentLink(link);
}

/** The link a listen token opens for this campaign, or null (unknown, revoked or another campaign's). */
export async function listenLinkFor(deps: Pick<RoomsDeps, "repository">, campaignId: string, token: string): Promise<{ linkId: string } | null> {
  if (token.length === 0 || token.length > 256) return null;
  const link = await deps.repository.activeListenLinkByTokenHash(sha256Hex(token));
  return link && link.campaignId === campaignId ? { linkId: link.id } : null;
}

/** A chunk of this campaign (listeners see only their own campaign's chunks). */
export async function chunkInCampaign(deps: Pick<RoomsDeps, "rooms">, chunkId: string, campaignId: string | null) {
  const chunk = await deps.rooms.findChunk(chunkId);
  if (!chunk) throw notFound("rooms.chunk_not_found", `no chunk '${chunkId}'`);
  if (campaignId !== null && chunk.campaignId !== campaignId) throw new AppError("rooms.chunk_not_in_campaign", 404, `chunk '${chunkId}' is not one of this campaign's`);
  return chunk;
}

/** Records that a listener played a chunk of its own campaign. */
export async function acknowledgeChunk(deps: Pick<RoomsDeps, "rooms">, connectionId: string, chunkId: string, campaignId: string | null) {
  const chunk = await chunkInCampaign(deps, chunkId, campaignId);
  deps.rooms.recordPlayed(connectionId, chunk);
  return chunk;
}
