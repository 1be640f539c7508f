import { asc, desc, eq } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { studioEdges, studioPublications } from "./studio.schema.ts";

export type StudioEdge = typeof studioEdges.$inferSelect;
export type StudioPublicationRow = typeof studioPublications.$inferSelect;

/** The edges the studio publishes to, and what each publication got back. */
export function createStudioEdgesRepository(db: CoreDatabase) {
  return {
    /** Null when an edge with this name exists already. */
    async insertEdge(edge: Omit<StudioEdge, "id">): Promise<StudioEdge | null> {
      const [inserted] = await db.insert(studioEdges).values(edge).onConflictDoNothing().returning();
      return inserted ?? null;
    },

    listEdges(): Promise<StudioEdge[]> {
      return db.select().from(studioEdges).orderBy(asc(studioEdges.name), asc(studioEdges.id));
    },

    async findEdge(id: number): Promise<StudioEdge | null> {
      const [edge] = await db.select().from(studioEdges).where(eq(studioEdges.id, id));
      return edge ?? null;
    },

    /** The removed edge; null when there was no such edge. */
    async deleteEdge(id: number): Promise<StudioEdge | null> {
      const [removed] = await db.delete(studioEdges).where(eq(studioEdges.id, id)).returning();
      return removed ?? null;
    },

    async insertPublication(publication: Omit<StudioPublicationRow, "id">): Promise<void> {
      await db.insert(studioPublications).values(publication);
    },

    /** Newest first. */
    listPublications(campaignId: string, limit: number): Promise<StudioPublicationRow[]> {
      return db.select().from(studioPublications).where(eq(studioPublications.campaignId, campaignId)).orderBy(desc(studioPublications.publishedAt), desc(studioPublications.id)).limit(limit);
    },
  };
}

export type StudioEdgesRepository = ReturnType<typeof createStudioEdgesRepository>;
