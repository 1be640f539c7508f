export interface TimelineSegment {
  id: number;
  startTs: number;
  endTs: number;
}

export interface DialogueRules {
  /** Silence longer than this between segments separates dialogues. */
  silenceGapMs: number;
  /** A dialogue is split before the segment that would make it longer than this. */
  maxDialogueMs: number;
}

export interface PlannedDialogue<S extends TimelineSegment> {
  segments: S[];
  startTs: number;
  endTs: number;
  /** Length of the union of its segments. */
  speechMs: number;
  /** False when the next dialogue continues the same talk (split by the maximum length). */
  endsWithSilence: boolean;
}

/**
 * Groups a register's speech into dialogues. The result depends only on the set of segments, not
 * on the order they arrived in: a late chunk re-planned with its neighbours gives the same answer
 * as if it had come on time.
 */
export function planDialogues<S extends TimelineSegment>(segments: readonly S[], rules: DialogueRules): Array<PlannedDialogue<S>> {
  const ordered = [...segments].sort((a, b) => a.startTs - b.startTs || a.endTs - b.endTs || a.id - b.id);
  const planned: Array<PlannedDialogue<S>> = [];
  let current: PlannedDialogue<S> | null = null;
  for (const segment of ordered) {
    if (current && segment.startTs - current.endTs > rules.silenceGapMs) {
      planned.push(current);
      current = null;
    } else if (current && Math.max(current.endTs, segment.endTs) - current.startTs > rules.maxDialogueMs) {
      current.endsWithSilence = false;
      planned.push(current);
      current = null;
    }
    if (!current) current = { segments: [], startTs: segment.startTs, endTs: segment.endTs, speechMs: 0, endsWithSilence: true };
    current.segments.push(segment);
    current.endTs = Math.max(current.endTs, segment.endTs);
  }
  if (current) planned.push(current);
  for (const dialogue of planned) dialogue.speechMs = unionLength(dialogue.segments);
  return planned;
}

function unionLength(segments: readonly TimelineSegment[]): number {
  let total = 0;
  let coveredUntil = Number.NEGATIVE_INFINITY;
  for (const segment of segments) {
    const start = Math.max(segment.startTs, coveredUntil);
    if (segment.endTs > start) total += segment.endTs - start;
    coveredUntil = Math.max(coveredUntil, segment.endTs);
  }
  return total;
}
