import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { openTempDatabase, type TempDatabase } from "../../shared/testing/temp-database.ts";
import type { CoreDatabase } from "../db/core-database.ts";
import { migrations } from "../db/migrations.ts";
import * as schema from "../db/schema.ts";
import { createDialerRepository, type DialerRepository } from "./dialer.repository.ts";
import { verdictOf } from "./dialer.usecases.ts";

let database: TempDatabase<typeof schema>;
let dialer: DialerRepository;
beforeEach(async () => {
  database = await openTempDatabase(migrations, schema);
  dialer = createDialerRepository(database.db as unknown as CoreDatabase);
  const campaign = { id: "tw-1", name: "x", studioCampaignId: null, tenantId: null, state: "dialing", linesPerAgent: 1, machinePolicy: "hangup", unknownPolicy: "connect", waitLimitSeconds: 10, createdAt: 0, updatedAt: 0 } as const;
  await dialer.insertCampaign(campaign, [{ position: 1, phoneNumber: "+15551230001", name: null, leadId: null }]);
});
afterEach(() => database.dispose());

async function placedCall() {
  const [call] = await dialer.claimLeads("tw-1", 1, () => ({
    id: crypto.randomUUID(), callerId: "+15559870002", callSid: null, state: "placing", twilioStatus: null, statusSequence: -1, answeredAt: null, queuedAt: null, answeredBy: null, verdictSource: null, verdictAt: null,
    agentIdentity: null, bridgedAt: null, endedAt: null, durationSeconds: null, reason: null, disposition: null, placeAttempts: 0, lastError: null, createdAt: 0, updatedAt: 0,
  }));
  return call!;
}
const status = (id: string, value: string, sequence: number) => dialer.applyStatus(id, { status: value, sequence, answered: value === "in-progress", callSid: "CA1", now: 10 + sequence });

describe("a call's state from its facts, whatever order they arrive in", () => {
  test("in order: placing → placed → ringing → answered → queued → human → bridged → ended", async () => {
    const call = await placedCall();
    const seen = [call.state];
    seen.push((await status(call.id, "initiated", 0)).state);
    seen.push((await status(call.id, "ringing", 1)).state);
    seen.push((await status(call.id, "in-progress", 2)).state);
    seen.push((await dialer.markQueued(call.id, 20, "CA1"))!.state);
    seen.push((await dialer.recordVerdict(call.id, { answeredBy: "human", source: "amd", now: 21, callSid: "CA1" }))!.state);
    seen.push((await dialer.updateCallOnce(call.id, "bridgedAt", { bridgedAt: 22 }))!.state);
    seen.push((await dialer.updateCall(call.id, { endedAt: 30, reason: "completed" })).state);
    expect(seen).toEqual(["placing", "placed", "ringing", "answered", "queued", "human", "bridged", "ended"]);
  });

  test("reordered and repeated: a late ringing does not undo answered, a second verdict or queueing changes nothing", async () => {
    const call = await placedCall();
    await dialer.recordVerdict(call.id, { answeredBy: "machine_start", source: "amd", now: 5, callSid: "CA1" });
    expect((await dialer.findCall(call.id))!.state).toBe("machine");
    expect(await dialer.recordVerdict(call.id, { answeredBy: "human", source: "amd", now: 6, callSid: "CA1" })).toBeNull();
    await status(call.id, "in-progress", 2);
    const late = await status(call.id, "ringing", 1);
    expect([late.state, late.twilioStatus, late.statusSequence, late.answeredBy]).toEqual(["machine", "in-progress", 2, "machine_start"]);
    expect(await dialer.markQueued(call.id, 7, "CA1")).not.toBeNull();
    expect(await dialer.markQueued(call.id, 8, "CA1")).toBeNull();
    const repeated = await status(call.id, "in-progress", 2);
    expect(repeated.answeredAt).toBe(12);
  });

  test("ended before the verdict stays ended when the verdict comes", async () => {
    const call = await placedCall();
    await status(call.id, "in-progress", 2);
    await dialer.updateCall(call.id, { endedAt: 30, reason: "hangup_before_verdict" });
    const late = await dialer.recordVerdict(call.id, { answeredBy: "human", source: "amd", now: 31, callSid: "CA1" });
    expect([late!.state, late!.answeredBy, late!.reason]).toEqual(["ended", "human", "hangup_before_verdict"]);
    // A decision (reason) or an agent is taken only while the call is open.
    expect(await dialer.updateCallOnce(call.id, "agentIdentity", { agentIdentity: "alice" }, true)).toBeNull();
  });

  test("Twilio's AnsweredBy values map to human, machine or unknown", () => {
    expect(["human", "machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax", "unknown"].map(verdictOf)).toEqual(["human", "machine", "machine", "machine", "machine", "machine", "unknown"]);
  });
});
