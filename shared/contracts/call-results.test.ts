import { describe, expect, test } from "bun:test";
import { callResultInput, callResultOf, callResultsBatchResponse, parseCallResultsBatch } from "./call-results.ts";

describe("call results contract", () => {
  test("accepts what mysql2 reads from vicidial_log and what the seed's scripts sent, normalised alike", () => {
    const fromEdge = callResultOf(callResultInput.parse({ uniqueid: "1768467600.1", leadId: 1001, listId: 999, duration: 0, callDate: "2026-01-15 09:00:00", termReason: "" }));
    const fromSeed = callResultOf(callResultInput.parse({ uniqueid: "1768467600.1", leadId: "1001", listId: "999", duration: "0", callDate: "2026-01-15 09:00:00", termReason: "", timestamp: 1 }));
    expect(fromEdge).toEqual(fromSeed);
    expect(fromEdge).toMatchObject({ leadId: "1001", listId: "999", duration: 0, termReason: "", endEpoch: null, userGroup: null, agentId: null });
  });

  test("the seed's timestamp is the call's start when the body has no startEpoch or callDate", () => {
    expect(callResultOf(callResultInput.parse({ uniqueid: "1.1", timestamp: 1634567890 })).startEpoch).toBe(1634567890);
    expect(callResultOf(callResultInput.parse({ uniqueid: "1.1", timestamp: "1634567890" })).startEpoch).toBe(1634567890);
    expect(callResultOf(callResultInput.parse({ uniqueid: "1.1", startEpoch: 1700000000, timestamp: 1634567890 })).startEpoch).toBe(1700000000);
    expect(callResultOf(callResultInput.parse({ uniqueid: "1.1", callDate: "2026-01-15 09:00:00", timestamp: 1634567890 })).startEpoch).toBeNull();
    expect(callResultOf(callResultInput.parse({ uniqueid: "1.1" })).startEpoch).toBeNull();
    expect(parseCallResultsBatch([{ uniqueid: "1.2", timestamp: 1634567890 }]).valid[0]!.value.startEpoch).toBe(1634567890);
    expect(parseCallResultsBatch([{ uniqueid: "1.3", timestamp: "yesterday" }]).rejected).toEqual([{ index: 0, uniqueid: "1.3", message: "timestamp must be a whole number" }]);
  });

  test("a batch keeps its valid rows and names the problem of each invalid one", () => {
    const parsed = parseCallResultsBatch([{ uniqueid: "1.1" }, { uniqueid: "1.2", calledCount: -1 }, null, { uniqueid: "1.3", leadId: "x" }]);
    expect(parsed.valid.map((row) => row.index)).toEqual([0]);
    expect(parsed.rejected).toEqual([
      { index: 1, uniqueid: "1.2", message: "calledCount must be at least 0" },
      { index: 2, uniqueid: null, message: expect.any(String) },
      { index: 3, uniqueid: "1.3", message: "leadId must be a string of 1 to 20 digits" },
    ]);
  });

  test("the batch response keeps per-row outcomes", () => {
    const body = { success: true, message: "1 of 1", data: { received: 1, created: 1, updated: 0, unchanged: 0, rejected: 0, results: [{ index: 0, uniqueid: "1.1", outcome: "created", recordId: "7" }] } };
    expect(callResultsBatchResponse.parse(body)).toEqual(body as never);
  });
});
