import { field } from "../../shared/config/config-spec.ts";
import { decimal, flag, integer } from "../../shared/config/config-types.ts";

export const callSyncConfig = {
  callSyncEnabled: field(flag(), {
    env: "CALL_SYNC_ENABLED",
    default: true,
    description: "Ship VICIdial's call results (vicidial_log) to the core while serving; needs an API key.",
  }),
  callSyncIntervalSeconds: field(decimal({ min: 0.1, max: 3600 }), {
    env: "CALL_SYNC_INTERVAL_SECONDS",
    default: 60,
    description: "How often vicidial_log is read for new and changed calls.",
  }),
  callSyncRecentMinutes: field(decimal({ min: 1, max: 1440 }), {
    env: "CALL_SYNC_RECENT_MINUTES",
    default: 30,
    description: "Each read covers the calls of this many minutes before the previous read (where hang-ups and dispositions land).",
  }),
  callSyncLookbackHours: field(decimal({ min: 0.1, max: 168 }), {
    env: "CALL_SYNC_LOOKBACK_HOURS",
    default: 6,
    description: "A full read re-checks calls this old, for dispositions VICIdial sets hours later (it matches rows up to 4 hours old).",
  }),
  callSyncFullScanMinutes: field(decimal({ min: 0.001, max: 1440 }), {
    env: "CALL_SYNC_FULL_SCAN_MINUTES",
    default: 15,
    description: "How often the full lookback is re-read.",
  }),
  callSyncBatchSize: field(integer({ min: 1, max: 1000 }), {
    env: "CALL_SYNC_BATCH_SIZE",
    default: 500,
    description: "Call results per request to the core.",
  }),
  callSyncPageSize: field(integer({ min: 50, max: 20_000 }), {
    env: "CALL_SYNC_PAGE_SIZE",
    default: 2000,
    description: "Most rows one vicidial_log query returns; pages shrink on their own when a query takes longer than 20 ms.",
  }),
  callSyncRetryMaxSeconds: field(decimal({ min: 0.1, max: 3600 }), {
    env: "CALL_SYNC_RETRY_MAX_SECONDS",
    default: 60,
    description: "Longest wait between attempts while the core or the VICIdial database is unreachable.",
  }),
};
