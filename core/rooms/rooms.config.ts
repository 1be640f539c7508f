import { field } from "../../shared/config/config-spec.ts";
import { integer } from "../../shared/config/config-types.ts";

/** The listening rooms' timeline and housekeeping. */
export const roomsConfig = {
  roomStallTimeoutSeconds: field(integer({ min: 1, max: 3600 }), {
    env: "ROOM_STALL_TIMEOUT_SECONDS",
    default: 180,
    description: "A message whose next sentence has not been spoken for this long is failed and the room moves on to the next one.",
  }),
  roomScheduleLeadMs: field(integer({ min: 0, max: 10_000 }), {
    env: "ROOM_SCHEDULE_LEAD_MS",
    default: 800,
    description: "How far ahead of the server's clock a freshly spoken sentence is placed on the room's timeline: the time every listener has to fetch and decode it.",
  }),
  roomPlayedRetentionDays: field(integer({ min: 1, max: 3650 }), {
    env: "ROOM_PLAYED_RETENTION_DAYS",
    default: 7,
    description: "Played sentences (their rows and audio) are removed this many days after they played.",
  }),
};
