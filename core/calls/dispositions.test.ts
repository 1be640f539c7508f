import { describe, expect, test } from "bun:test";
import { defaultDispositionMap, isHumanAnswered, outcomeOfStatus } from "./dispositions.ts";

describe("disposition mapping", () => {
  test("keeps the seed's table where VICIdial agrees and corrects it where it does not", () => {
    const none = new Map();
    expect(["SALE", "NA", "NO", "BUSY", "DNC", "DROP"].map((status) => outcomeOfStatus(status, none))).toEqual(["answered", "no_answer", "no_answer", "busy", "dnc", "dropped"]);
    // VICIdial: A/AA/AM/AL are answering machines, B is busy, AMD is machine detection.
    expect(["A", "AA", "AM", "AL", "AMD", "B", "AB", "DC", "ADC", "PDROP", "CPDB", "CPDATB"].map((status) => outcomeOfStatus(status, none))).toEqual([
      "machine",
      "machine",
      "machine",
      "machine",
      "machine",
      "busy",
      "busy",
      "disconnected",
      "disconnected",
      "dropped",
      "busy",
      "failed",
    ]);
    expect(["QUEUE", "INCALL", "PU", "SENT", "NEW", "", null].map((status) => outcomeOfStatus(status, none))).toEqual(new Array(7).fill("in_progress"));
    expect(outcomeOfStatus("APPTSET", none)).toBe("completed");
    expect(outcomeOfStatus(" sale ", none)).toBe("answered");
  });

  test("a tenant's override wins over the built-in meaning", () => {
    expect(outcomeOfStatus("PM", new Map([["PM", "machine" as const]]))).toBe("machine");
    expect(outcomeOfStatus("A", new Map([["A", "answered" as const]]))).toBe("answered");
  });

  test("answered, dropped (a person picked up, no agent took it), DNC and agent statuses are human answers; machines are not", () => {
    expect(["answered", "dropped", "dnc", "completed"].every((outcome) => isHumanAnswered(outcome as never))).toBe(true);
    expect(["machine", "no_answer", "busy", "disconnected", "failed", "in_progress"].some((outcome) => isHumanAnswered(outcome as never))).toBe(false);
    expect(defaultDispositionMap.size).toBeGreaterThan(50);
  });
});
