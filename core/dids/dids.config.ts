import { field } from "../../shared/config/config-spec.ts";
import { integer } from "../../shared/config/config-types.ts";

export const didsConfig = {
  didStatsWindowDays: field(integer({ min: 1, max: 90 }), {
    env: "DID_STATS_WINDOW_DAYS",
    default: 7,
    description: "Days of call results behind each DID's rolling answer rate, which weights DID selection.",
  }),
  didPoolRefreshSeconds: field(integer({ min: 1, max: 3600 }), {
    env: "DID_POOL_REFRESH_SECONDS",
    default: 30,
    description: "How often the in-memory DID pools (answer rates, daily usage) are rebuilt from the database.",
  }),
};
