import type { TickOutcome } from "../../shared/runtime/background-loop.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { type DailySchedule, isWithinSchedule, msUntilScheduleChange } from "./schedule.ts";

/** How often the schedule is looked at, as the original agent did; edges in between are slept to exactly. */
export const scheduleCheckIntervalMs = 5_000;

export interface ScheduleStatus {
  inSchedule: boolean;
  nextChangeAt: number | null;
}

export interface ScheduleTicker {
  tick(signal: AbortSignal): Promise<TickOutcome>;
  status(): ScheduleStatus;
}

/** Tells the recorder whether to record, at every check and exactly at the window's edges. */
export function createScheduleTicker(options: { schedule: DailySchedule; clock: Clock; timeZone?: string; apply: (inSchedule: boolean) => void }): ScheduleTicker {
  let current: ScheduleStatus = { inSchedule: false, nextChangeAt: null };
  const check = () => {
    const now = options.clock.now();
    const until = msUntilScheduleChange(options.schedule, now, options.timeZone);
    current = { inSchedule: isWithinSchedule(options.schedule, now, options.timeZone), nextChangeAt: until === null ? null : now + until };
    options.apply(current.inSchedule);
    return until;
  };
  return {
    async tick(signal) {
      const until = check();
      if (until !== null && until < scheduleCheckIntervalMs) {
        await options.clock.sleep(until, signal);
        if (!signal.aborted) check();
      }
      return "idle";
    },
    status: () => ({ ...current }),
  };
}
