import { and, count, eq, gte, lt, ne, sql } from "drizzle-orm";
import type { CoreDatabase } from "../db/core-database.ts";
import { callResults } from "./calls.schema.ts";

export type StatsDimension = "did" | "campaign" | "hour";

export interface StatsFilter {
  fromEpochSeconds: number;
  toEpochSeconds: number;
  campaignId?: string;
  didNumber?: string;
}

/** Counts of each result per group; rows still in progress are left out. */
export interface OutcomeCountRow {
  group: string | null;
  result: string;
  calls: number;
  durationSeconds: number;
}

const groupColumn = { did: callResults.didNumber, campaign: callResults.campaignId, hour: callResults.callHour } as const;

export function createCallStatsRepository(db: CoreDatabase) {
  return {
    async countOutcomes(tenantId: string, dimension: StatsDimension, filter: StatsFilter, pendingOutcome: string): Promise<OutcomeCountRow[]> {
      const conditions = [
        eq(callResults.tenantId, tenantId),
        gte(callResults.startEpoch, filter.fromEpochSeconds),
        lt(callResults.startEpoch, filter.toEpochSeconds),
        ne(callResults.result, pendingOutcome as typeof callResults.$inferSelect.result),
      ];
      if (filter.campaignId !== undefined) conditions.push(eq(callResults.campaignId, filter.campaignId));
      if (filter.didNumber !== undefined) conditions.push(eq(callResults.didNumber, filter.didNumber));
      const column = groupColumn[dimension];
      const rows = await db
        .select({ group: column, result: callResults.result, calls: count(), durationSeconds: sql<number>`coalesce(sum(max(${callResults.duration}, 0)), 0)` })
        .from(callResults)
        .where(and(...conditions))
        .groupBy(column, callResults.result);
      // The hour is a number in the table and a group name here.
      return rows.map((row) => ({ ...row, group: row.group === null ? null : String(row.group), durationSeconds: Number(row.durationSeconds) }));
    },
  };
}

export type CallStatsRepository = ReturnType<typeof createCallStatsRepository>;
