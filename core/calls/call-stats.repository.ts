import type { Client } from "@libsql/client";
import { nullableText } from "../../shared/db/row-values.ts";

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

const groupColumn: Record<StatsDimension, string> = { did: "did_number", campaign: "campaign_id", hour: "call_hour" };

export interface CallStatsRepository {
  countOutcomes(tenantId: string, dimension: StatsDimension, filter: StatsFilter, pendingOutcome: string): Promise<OutcomeCountRow[]>;
}

export function createCallStatsRepository(client: Client): CallStatsRepository {
  return {
    async countOutcomes(tenantId, dimension, filter, pendingOutcome) {
      const conditions = ["tenant_id = ?", "start_epoch >= ?", "start_epoch < ?", "result <> ?"];
      const args: Array<string | number> = [tenantId, filter.fromEpochSeconds, filter.toEpochSeconds, pendingOutcome];
      if (filter.campaignId !== undefined) {
        conditions.push("campaign_id = ?");
        args.push(filter.campaignId);
      }
      if (filter.didNumber !== undefined) {
        conditions.push("did_number = ?");
        args.push(filter.didNumber);
      }
      const column = groupColumn[dimension];
      const result = await client.execute({
        sql: `SELECT ${column} AS grouped, result, count(*) AS calls, coalesce(sum(max(duration, 0)), 0) AS seconds
              FROM call_results WHERE ${conditions.join(" AND ")} GROUP BY ${column}, result`,
        args,
      });
      return result.rows.map((row) => ({
        group: nullableText(row.grouped),
        result: String(row.result),
        calls: Number(row.calls),
        durationSeconds: Number(row.seconds),
      }));
    },
  };
}
