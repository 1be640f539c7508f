import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * A message the campaign's listening room plays: a text, a lead's line or an LLM-written answer to a
 * prompt. `PENDING` → `GENERATING` → `COMPLETED` | `FAILED`, one at a time per campaign in `position` order.
 */
export const audioPlaybackRequests = sqliteTable(
  "audio_playback_requests",
  {
    id: text("id").primaryKey(),
    campaignId: text("campaign_id").notNull(),
    /** What the message is made from, as the request gave it: `{text}`, `{lead_id, slot}` or `{prompt}` (JSON). */
    sourceKind: text("source_kind", { enum: ["text", "lead", "prompt"] }).notNull(),
    sourceJson: text("source_json").notNull(),
    status: text("status", { enum: ["PENDING", "GENERATING", "COMPLETED", "FAILED"] }).notNull(),
    /** Order in the campaign's queue: the creation time, ties broken by arrival. */
    position: integer("position").notNull(),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    createdAt: integer("created_at").notNull(),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
  },
  (table) => [index("audio_playback_requests_campaign_idx").on(table.campaignId, table.status, table.position)],
);

/** One sentence of a request, spoken: its place on the room's timeline (server clock, ms) and its audio file. */
export const playbackChunks = sqliteTable(
  "playback_chunks",
  {
    id: text("id").primaryKey(),
    requestId: text("request_id").notNull(),
    campaignId: text("campaign_id").notNull(),
    sequence: integer("sequence").notNull(),
    text: text("text").notNull(),
    status: text("status", { enum: ["READY", "PLAYED"] }).notNull(),
    startAt: integer("start_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** From the sentence being known to its audio being ready. */
    generationMs: integer("generation_ms").notNull(),
    readyAt: integer("ready_at").notNull(),
    playedAt: integer("played_at"),
  },
  (table) => [index("playback_chunks_request_idx").on(table.requestId, table.sequence), index("playback_chunks_status_idx").on(table.status, table.playedAt)],
);

/** A socket that listened to a campaign's room, and who held it. */
export const websocketConnections = sqliteTable(
  "websocket_connections",
  {
    id: text("id").primaryKey(),
    campaignId: text("campaign_id").notNull(),
    callerKind: text("caller_kind", { enum: ["operator", "admin", "listener"] }).notNull(),
    /** The operator's name or the listen link's id. */
    caller: text("caller"),
    openedAt: integer("opened_at").notNull(),
    closedAt: integer("closed_at"),
  },
  (table) => [index("websocket_connections_campaign_idx").on(table.campaignId, table.openedAt)],
);

/** Per connection and chunk: when it was announced to the connection and when the connection said it played it. */
export const connectionPlaybackStates = sqliteTable(
  "connection_playback_states",
  {
    connectionId: text("connection_id").notNull(),
    chunkId: text("chunk_id").notNull(),
    requestId: text("request_id").notNull(),
    deliveredAt: integer("delivered_at"),
    playedAt: integer("played_at"),
  },
  (table) => [primaryKey({ columns: [table.connectionId, table.chunkId] }), index("connection_playback_states_chunk_idx").on(table.chunkId)],
);

/** A listen-only link to a campaign's room: its holder may listen and nothing else; revoked links stop at once. */
export const roomListenLinks = sqliteTable(
  "room_listen_links",
  {
    id: text("id").primaryKey(),
    campaignId: text("campaign_id").notNull(),
    label: text("label").notNull(),
    /** SHA-256 of the token; the token itself is shown once, when the link is made. */
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (table) => [index("room_listen_links_campaign_idx").on(table.campaignId)],
);
