import { and, asc, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { audioPlaybackRequests, connectionPlaybackStates, playbackChunks, roomListenLinks, websocketConnections } from "./rooms.schema.ts";

/** Rows per multi-row INSERT: 5 values each stays below SQLite's limit on bound parameters. */
const rowsPerInsert = 500;

export type PlaybackRequestRow = typeof audioPlaybackRequests.$inferSelect;
export type PlaybackChunkRow = typeof playbackChunks.$inferSelect;
export type ListenLinkRow = typeof roomListenLinks.$inferSelect;
export type ConnectionRow = typeof websocketConnections.$inferSelect;

/** The rooms' tables. The engine writes through a write-behind queue, so each call here is one self-contained write or read. */
export function createRoomsRepository(db: CoreDatabase) {
  return {
    async insertRequest(row: PlaybackRequestRow): Promise<void> {
      await db.insert(audioPlaybackRequests).values(row).onConflictDoUpdate({ target: audioPlaybackRequests.id, set: { ...row } });
    },

    async updateRequest(id: string, fields: Partial<Pick<PlaybackRequestRow, "status" | "failureCode" | "failureMessage" | "startedAt" | "finishedAt">>): Promise<void> {
      await db.update(audioPlaybackRequests).set(fields).where(eq(audioPlaybackRequests.id, id));
    },

    async insertChunk(row: PlaybackChunkRow): Promise<void> {
      await db.insert(playbackChunks).values(row).onConflictDoUpdate({ target: playbackChunks.id, set: { ...row } });
    },

    /** Every chunk of the request has played: each at the end of its place on the timeline. */
    async markRequestChunksPlayed(requestId: string): Promise<void> {
      await db
        .update(playbackChunks)
        .set({ status: "PLAYED", playedAt: sql`${playbackChunks.startAt} + ${playbackChunks.durationMs}` })
        .where(and(eq(playbackChunks.requestId, requestId), eq(playbackChunks.status, "READY")));
    },

    async findRequest(id: string): Promise<PlaybackRequestRow | null> {
      return (await db.select().from(audioPlaybackRequests).where(eq(audioPlaybackRequests.id, id)).limit(1))[0] ?? null;
    },

    async findChunk(id: string): Promise<PlaybackChunkRow | null> {
      return (await db.select().from(playbackChunks).where(eq(playbackChunks.id, id)).limit(1))[0] ?? null;
    },

    async chunksOf(requestIds: readonly string[]): Promise<PlaybackChunkRow[]> {
      if (requestIds.length === 0) return [];
      return db.select().from(playbackChunks).where(inArray(playbackChunks.requestId, [...requestIds])).orderBy(asc(playbackChunks.requestId), asc(playbackChunks.sequence));
    },

    /** The campaign's latest requests, newest first. */
    async recentRequests(campaignId: string, limit: number): Promise<PlaybackRequestRow[]> {
      return db.select().from(audioPlaybackRequests).where(eq(audioPlaybackRequests.campaignId, campaignId)).orderBy(desc(audioPlaybackRequests.position)).limit(limit);
    },

    /** Requests a previous run left unfinished, oldest first. */
    async unfinishedRequests(): Promise<PlaybackRequestRow[]> {
      return db.select().from(audioPlaybackRequests).where(inArray(audioPlaybackRequests.status, ["PENDING", "GENERATING"])).orderBy(asc(audioPlaybackRequests.position));
    },

    async openConnection(row: Omit<ConnectionRow, "closedAt">): Promise<void> {
      await db.insert(websocketConnections).values({ ...row, closedAt: null }).onConflictDoNothing();
    },

    async closeConnection(id: string, closedAt: number): Promise<void> {
      await db.update(websocketConnections).set({ closedAt }).where(eq(websocketConnections.id, id));
    },

    async connectionsOf(campaignId: string): Promise<ConnectionRow[]> {
      return db.select().from(websocketConnections).where(eq(websocketConnections.campaignId, campaignId)).orderBy(asc(websocketConnections.openedAt));
    },

    /** That these chunks were announced to these connections (one row each; rows already there are kept). */
    async recordDelivery(deliveries: ReadonlyArray<{ connectionId: string; chunkId: string; requestId: string }>, deliveredAt: number): Promise<void> {
      for (let start = 0; start < deliveries.length; start += rowsPerInsert) {
        const rows = deliveries.slice(start, start + rowsPerInsert).map((delivery) => ({ ...delivery, deliveredAt, playedAt: null }));
        await db.insert(connectionPlaybackStates).values(rows).onConflictDoNothing();
      }
    },

    async recordPlayed(connectionId: string, chunk: { chunkId: string; requestId: string }, playedAt: number): Promise<void> {
      await db
        .insert(connectionPlaybackStates)
        .values({ connectionId, chunkId: chunk.chunkId, requestId: chunk.requestId, deliveredAt: null, playedAt })
        .onConflictDoUpdate({ target: [connectionPlaybackStates.connectionId, connectionPlaybackStates.chunkId], set: { playedAt } });
    },

    async playbackStatesOf(chunkId: string) {
      return db.select().from(connectionPlaybackStates).where(eq(connectionPlaybackStates.chunkId, chunkId)).orderBy(asc(connectionPlaybackStates.connectionId));
    },

    /** Removes up to `limit` chunks that played before `cutoff`, with their delivery records; returns what was removed. */
    async removePlayedChunks(cutoff: number, limit: number): Promise<Array<Pick<PlaybackChunkRow, "id" | "requestId" | "sequence">>> {
      return db.transaction(async (tx) => {
        const old = await tx
          .select({ id: playbackChunks.id, requestId: playbackChunks.requestId, sequence: playbackChunks.sequence })
          .from(playbackChunks)
          .where(and(eq(playbackChunks.status, "PLAYED"), lt(playbackChunks.playedAt, cutoff)))
          .limit(limit);
        if (old.length === 0) return old;
        const ids = old.map((chunk) => chunk.id);
        await tx.delete(connectionPlaybackStates).where(inArray(connectionPlaybackStates.chunkId, ids));
        await tx.delete(playbackChunks).where(inArray(playbackChunks.id, ids));
        return old;
      });
    },

    async createListenLink(row: Omit<ListenLinkRow, "revokedAt">): Promise<void> {
      await db.insert(roomListenLinks).values({ ...row, revokedAt: null });
    },

    async listenLinksOf(campaignId: string): Promise<ListenLinkRow[]> {
      return db.select().from(roomListenLinks).where(eq(roomListenLinks.campaignId, campaignId)).orderBy(asc(roomListenLinks.createdAt), asc(roomListenLinks.id));
    },

    /** Revokes the campaign's link; false when the campaign has no such link. */
    async revokeListenLink(campaignId: string, linkId: string, now: number): Promise<ListenLinkRow | null> {
      const link = (await db.select().from(roomListenLinks).where(and(eq(roomListenLinks.id, linkId), eq(roomListenLinks.campaignId, campaignId))).limit(1))[0];
      if (!link) return null;
      if (link.revokedAt === null) await db.update(roomListenLinks).set({ revokedAt: now }).where(and(eq(roomListenLinks.id, linkId), isNull(roomListenLinks.revokedAt)));
      return { ...link, revokedAt: link.revokedAt ?? now };
    },

    async activeListenLinkByTokenHash(tokenHash: string): Promise<ListenLinkRow | null> {
      return (await db.select().from(roomListenLinks).where(and(eq(roomListenLinks.tokenHash, tokenHash), isNull(roomListenLinks.revokedAt))).limit(1))[0] ?? null;
    },
  };
}

export type RoomsRepository = ReturnType<typeof createRoomsRepository>;
