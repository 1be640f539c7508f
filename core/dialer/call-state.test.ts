import { describe, expect, test } from "bun:test";
import { callStateOf, verdictOf } from "./dialer.usecases.ts";

const none = { callSid: null, twilioStatus: null, answeredAt: null, queuedAt: null, answeredBy: null, bridgedAt: null, endedAt: null };

describe("a call's state from its facts", () => {
  test("each fact moves the call forward, whatever order the facts arrived in", () => {
    expect(callStateOf(none)).toBe("placing");
    expect(callStateOf({ ...none, callSid: "CA1" })).toBe("placed");
    expect(callStateOf({ ...none, callSid: "CA1", twilioStatus: "ringing" })).toBe("ringing");
    expect(callStateOf({ ...none, callSid: "CA1", twilioStatus: "in-progress", answeredAt: 1 })).toBe("answered");
    expect(callStateOf({ ...none, callSid: "CA1", answeredAt: 1, queuedAt: 1 })).toBe("queued");
    // The AMD verdict before the answered callback: the verdict stands.
    expect(callStateOf({ ...none, callSid: "CA1", twilioStatus: "ringing", answeredBy: "machine_start" })).toBe("machine");
    expect(callStateOf({ ...none, callSid: "CA1", answeredAt: 1, queuedAt: 1, answeredBy: "human", bridgedAt: 2 })).toBe("bridged");
    // Completed before the verdict, then the verdict: still ended.
    expect(callStateOf({ ...none, callSid: "CA1", answeredAt: 1, endedAt: 3, answeredBy: "human" })).toBe("ended");
  });

  test("Twilio's AnsweredBy values map to human, machine or unknown", () => {
    expect(["human", "machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax", "unknown"].map(verdictOf)).toEqual(["human", "machine", "machine", "machine", "machine", "machine", "unknown"]);
  });
});
