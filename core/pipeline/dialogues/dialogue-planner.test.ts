import { describe, expect, test } from "bun:test";
import { planDialogues } from "./dialogue-planner.ts";

const rules = { silenceGapMs: 20_000, maxDialogueMs: 120_000 };
const segment = (id: number, startS: number, endS: number) => ({ id, startTs: startS * 1000, endTs: endS * 1000 });
const shape = (plans: ReturnType<typeof planDialogues>) => plans.map((plan) => ({ ids: plan.segments.map((item) => item.id), startTs: plan.startTs, endTs: plan.endTs, speechMs: plan.speechMs, endsWithSilence: plan.endsWithSilence }));

describe("planDialogues", () => {
  test("a silence longer than the gap separates dialogues; shorter pauses do not", () => {
    const plans = planDialogues([segment(1, 0, 5), segment(2, 20, 30), segment(3, 51, 55), segment(4, 70, 71)], rules);
    expect(shape(plans)).toEqual([
      { ids: [1, 2], startTs: 0, endTs: 30_000, speechMs: 15_000, endsWithSilence: true },
      { ids: [3, 4], startTs: 51_000, endTs: 71_000, speechMs: 5_000, endsWithSilence: true },
    ]);
  });

  test("talk longer than the maximum is split at a segment boundary, marked as continuing", () => {
    const talk = Array.from({ length: 30 }, (_, index) => segment(index + 1, index * 10, index * 10 + 8));
    const plans = planDialogues(talk, rules);
    expect(plans.map((plan) => plan.endTs - plan.startTs).every((length) => length <= 120_000)).toBe(true);
    expect(plans.map((plan) => plan.endsWithSilence)).toEqual([false, false, true]);
    expect(plans.flatMap((plan) => plan.segments.map((item) => item.id))).toEqual(talk.map((item) => item.id));
  });

  test("overlapping segments (chunks that overlap in time) count their speech once", () => {
    expect(planDialogues([segment(1, 0, 10), segment(2, 5, 12)], rules)[0]!.speechMs).toBe(12_000);
  });

  test("the plan does not depend on the order segments arrive in", () => {
    const segments = [segment(1, 0, 5), segment(2, 12, 19), segment(3, 45, 50), segment(4, 60, 200), segment(5, 201, 204), segment(6, 300, 301)];
    const expected = shape(planDialogues(segments, rules));
    for (let round = 0; round < 20; round++) {
      const shuffled = [...segments].sort(() => Math.random() - 0.5);
      expect(shape(planDialogues(shuffled, rules))).toEqual(expected);
    }
  });
});
