import { describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { createFakeClock } from "../testing/fake-clock.ts";
import { createLeaseOwner, isLeaseOwnerGone, isOwnedByThisProcess, keepLeaseAlive, LeaseLostError, parseLeaseOwner } from "./lease.ts";

describe("lease owners", () => {
  test("one form for every lease: host/pid/random, unique per claim", () => {
    const owner = createLeaseOwner();
    expect(owner).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${process.pid}/[0-9a-f]{12}$`));
    expect(createLeaseOwner()).not.toBe(owner);
    expect(parseLeaseOwner(owner)).toEqual({ host: hostname(), pid: process.pid });
    expect(isOwnedByThisProcess(owner)).toBe(true);
  });

  test("a holder on this host that no longer runs is gone; a live one, this process, another host or another form are not", () => {
    const deadPid = 2 ** 22 + 12345;
    expect(isLeaseOwnerGone(`${hostname()}/${deadPid}/x`)).toBe(true);
    expect(isLeaseOwnerGone(`${hostname()}/${process.ppid}/x`)).toBe(false);
    expect(isLeaseOwnerGone(createLeaseOwner())).toBe(false);
    expect(isLeaseOwnerGone(`elsewhere.example/${deadPid}/x`)).toBe(false);
    expect(isLeaseOwnerGone(`${deadPid}-0f3c`)).toBe(false);
    expect(parseLeaseOwner("not an owner")).toBeNull();
  });
});

describe("keepLeaseAlive", () => {
  test("beats while the work runs, survives a failed beat, and aborts its signal when the lease is gone", async () => {
    const clock = createFakeClock(0);
    const answers: Array<boolean | Error> = [true, new Error("database restarting"), true, false];
    let beats = 0;
    const lease = keepLeaseAlive({
      what: "job 7",
      leaseMs: 3000,
      clock,
      heartbeat: async () => {
        const answer = answers[beats++]!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    for (let step = 0; step < 4 && !lease.lost(); step++) {
      await clock.advance(1000);
      await Bun.sleep(1);
    }
    expect(beats).toBe(4);
    expect(lease.lost()).toBe(true);
    expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
    expect((lease.signal.reason as Error).message).toContain("job 7");
    await lease.stop();
  });
});
