import { z } from "zod";
import { field } from "../../shared/config/config-spec.ts";
import type { ConfigType } from "../../shared/config/config-types.ts";
import { isKnownTimezone } from "./local-time.ts";

function timezoneName(): ConfigType<string> {
  return {
    schema: z.string().trim().refine(isKnownTimezone, { message: "not an IANA time zone" }),
    expected: "an IANA time zone name such as Europe/Belgrade",
  };
}

/** The sales analytics dashboard and its API. */
export const analyticsConfig = {
  dashboardTimezone: field(timezoneName(), {
    env: "DASHBOARD_TIMEZONE",
    default: "Europe/Belgrade",
    description: "Time zone of the dashboard's days and hours: a day starts at local midnight, hours are local, across daylight-saving changes.",
  }),
};
