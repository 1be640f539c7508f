import { badRequest } from "../../shared/http/app-error.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import type { CallStatsRepository, StatsDimension, StatsFilter } from "./call-stats.repository.ts";
import { callOutcomes, type CallOutcome, isHumanAnswered, pendingOutcome } from "./dispositions.ts";

export interface CallStatsDeps {
  callStats: CallStatsRepository;
  clock: Clock;
}

export interface OutcomeStats {
  key: string | null;
  attempts: number;
  answered: number;
  answerRate: number | null;
  outcomes: Record<Exclude<CallOutcome, "in_progress">, number>;
  totalDurationSeconds: number;
}

const defaultWindowSeconds = 7 * 86_400;
const maxWindowSeconds = 400 * 86_400;

/** Answer rate and result counts per DID, campaign or hour of day over [from, to). */
export async function summarizeOutcomes(
  deps: CallStatsDeps,
  tenantId: string,
  dimension: StatsDimension,
  query: { from?: number; to?: number; campaignId?: string; didNumber?: string },
): Promise<{ from: number; to: number; groups: OutcomeStats[] }> {
  const to = query.to ?? Math.floor(deps.clock.now() / 1000);
  const from = query.from ?? to - defaultWindowSeconds;
  if (from >= to) throw badRequest("stats.range_invalid", "from must be before to");
  if (to - from > maxWindowSeconds) throw badRequest("stats.range_too_long", "a statistics window may span at most 400 days");
  const filter: StatsFilter = { fromEpochSeconds: from, toEpochSeconds: to, campaignId: query.campaignId, didNumber: query.didNumber };
  const rows = await deps.callStats.countOutcomes(tenantId, dimension, filter, pendingOutcome);
  const groups = new Map<string | null, OutcomeStats>();
  for (const row of rows) {
    let group = groups.get(row.group);
    if (!group) {
      const outcomes = Object.fromEntries(callOutcomes.filter((outcome) => outcome !== pendingOutcome).map((outcome) => [outcome, 0])) as OutcomeStats["outcomes"];
      group = { key: row.group, attempts: 0, answered: 0, answerRate: null, outcomes, totalDurationSeconds: 0 };
      groups.set(row.group, group);
    }
    const outcome = row.result as Exclude<CallOutcome, "in_progress">;
    group.outcomes[outcome] += row.calls;
    group.attempts += row.calls;
    if (isHumanAnswered(outcome)) group.answered += row.calls;
    group.totalDurationSeconds += row.durationSeconds;
  }
  for (const group of groups.values()) group.answerRate = group.attempts > 0 ? Math.round((group.answered / group.attempts) * 10_000) / 10_000 : null;
  const ordered = [...groups.values()].sort((a, b) =>
    dimension === "hour" ? Number(a.key ?? 99) - Number(b.key ?? 99) : b.attempts - a.attempts || String(a.key).localeCompare(String(b.key)),
  );
  return { from, to, groups: ordered };
}
