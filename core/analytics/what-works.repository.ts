import { and, between, desc, eq, inArray, sql } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { upsellOffers } from "../pipeline/analysis/analysis.schema.ts";
import { type DayRange, placeConditions } from "./analytics.repository.ts";
import { dialogueFacts } from "./analytics.schema.ts";

/** The seller's offer phrases of the current analyses, beside whether the customer accepted. */
export function createWhatWorksRepository(db: CoreDatabase) {
  function inPeriod(range: DayRange) {
    return [between(dialogueFacts.localDay, range.fromDay, range.toDay), ...placeConditions(dialogueFacts, range)];
  }

  return {
    /** Each quoted phrase of each category in a period: how many dialogues offered it, and in how many the customer accepted. */
    offeredPhrases(range: DayRange) {
      return db
        .select({
          category: upsellOffers.category,
          quote: upsellOffers.quote,
          offers: sql<number>`count(distinct ${dialogueFacts.dialogueId})`.mapWith(Number),
          accepted: sql<number>`count(distinct ${dialogueFacts.dialogueId}) filter (where ${dialogueFacts.accepted} = 1)`.mapWith(Number),
        })
        .from(dialogueFacts)
        .innerJoin(upsellOffers, eq(upsellOffers.analysisId, dialogueFacts.analysisId))
        .where(and(...inPeriod(range)))
        .groupBy(upsellOffers.category, upsellOffers.quote);
    },

    /** The newest accepted dialogues in which the seller offered a category with one of these phrases. */
    acceptedDialogues(range: DayRange, category: string, quotes: string[], limit: number) {
      return db
        .selectDistinct({ dialogueId: dialogueFacts.dialogueId, startTs: dialogueFacts.startTs })
        .from(dialogueFacts)
        .innerJoin(upsellOffers, eq(upsellOffers.analysisId, dialogueFacts.analysisId))
        .where(and(...inPeriod(range), eq(dialogueFacts.accepted, true), eq(upsellOffers.category, category), inArray(upsellOffers.quote, quotes)))
        .orderBy(desc(dialogueFacts.startTs), desc(dialogueFacts.dialogueId))
        .limit(limit);
    },
  };
}

export type WhatWorksRepository = ReturnType<typeof createWhatWorksRepository>;
