import { randomUUID } from "node:crypto";
import type { Clock } from "../../../shared/runtime/clock.ts";
import type { CoreDatabase } from "../../db/core-database.ts";
import type { SpeechSegmentRow } from "../vad/vad.schema.ts";
import { createVadRepository } from "../vad/vad.repository.ts";
import { type DialogueRules, type PlannedDialogue, planDialogues } from "./dialogue-planner.ts";
import { type DialogueCloseReason, type DialogueRow, type DialogueStatus, pipelineStagesReset } from "./dialogues.schema.ts";
import { notFound } from "../../../shared/http/app-error.ts";
import { createDialoguesRepository, type DialogueFilter, type Stream } from "./dialogues.repository.ts";

export interface DialogueSettings extends DialogueRules {
  /** After its silence gap, how long a dialogue waits for late chunks before closing without them. */
  closeGraceMs: number;
}

export interface DialogueDeps {
  clock: Clock;
  settings: DialogueSettings;
}

export interface DialogueChanges {
  created: number;
  updated: number;
  deleted: number;
}

/** Chunks that follow each other with at most this much missing still count as continuous audio. */
const chunkJoinToleranceMs = 1500;

/**
 * Re-plans the dialogues of one register around [fromTs, toTs] after the speech there changed.
 * The window grows until no dialogue within a silence gap of it is left out, so every segment that
 * could join or split a dialogue is planned together; unchanged dialogues are not written.
 * Run it inside the transaction that changed the segments.
 */
export async function rebuildDialogues(db: CoreDatabase, deps: DialogueDeps, stream: Stream, fromTs: number, toTs: number): Promise<DialogueChanges> {
  const repository = createDialoguesRepository(db);
  const { silenceGapMs, maxDialogueMs } = deps.settings;
  let low = fromTs - silenceGapMs;
  let high = toTs + silenceGapMs;
  let existing: DialogueRow[];
  for (;;) {
    existing = await repository.findDialoguesOverlapping(stream, low, high, maxDialogueMs);
    const nextLow = Math.min(low, ...existing.map((dialogue) => dialogue.startTs - silenceGapMs));
    const nextHigh = Math.max(high, ...existing.map((dialogue) => dialogue.endTs + silenceGapMs));
    if (nextLow === low && nextHigh === high) break;
    low = nextLow;
    high = nextHigh;
  }
  const segments = await repository.findSegmentsOverlapping(stream, low, high);
  const planned = planDialogues(segments, deps.settings);
  const members = await repository.findDialogueMembers(existing.map((dialogue) => dialogue.dialogueId));
  const matches = matchPlannedToExisting(planned, existing, members);

  const now = deps.clock.now();
  const changes: DialogueChanges = { created: 0, updated: 0, deleted: 0 };
  const matchedIds = new Set([...matches.values()].map((dialogue) => dialogue.dialogueId));
  const unmatched = existing.filter((dialogue) => !matchedIds.has(dialogue.dialogueId)).map((dialogue) => dialogue.dialogueId);
  const writes: Array<() => Promise<void>> = [];
  const membershipReplaced: string[] = [...unmatched];

  for (const plan of planned) {
    const closing = await closingOf(db, deps, stream, plan, now);
    const previous = matches.get(plan);
    const segmentIds = plan.segments.map((segment) => segment.id);
    if (!previous) {
      const dialogueId = randomUUID();
      changes.created++;
      writes.push(async () => {
        await repository.insertDialogue({
          dialogueId,
          pointId: stream.pointId,
          registerId: stream.registerId,
          ...shapeOf(plan),
          ...closing,
          closedAt: closing.status === "closed" ? now : null,
          revision: 1,
          createdAt: now,
          updatedAt: now,
        });
        await repository.insertDialogueMembers(dialogueId, plan.segments);
      });
      continue;
    }
    const membersChanged = !sameMembers(members.get(previous.dialogueId) ?? [], segmentIds);
    const shape = shapeOf(plan);
    const shapeChanged = shape.startTs !== previous.startTs || shape.endTs !== previous.endTs || shape.segmentCount !== previous.segmentCount || shape.speechMs !== previous.speechMs;
    const closingChanged = closing.status !== previous.status || closing.closeReason !== previous.closeReason;
    if (!membersChanged && !shapeChanged && !closingChanged) continue;
    changes.updated++;
    if (membersChanged) membershipReplaced.push(previous.dialogueId);
    const keepsClosedAt = closing.status === "closed" && previous.status === "closed" && !membersChanged;
    writes.push(async () => {
      await repository.updateDialogue(previous.dialogueId, {
        ...shape,
        ...closing,
        revision: previous.revision + (membersChanged ? 1 : 0),
        ...(membersChanged ? pipelineStagesReset : {}),
        closedAt: closing.status === "closed" ? (keepsClosedAt ? previous.closedAt : now) : null,
        updatedAt: now,
      });
      if (membersChanged) await repository.insertDialogueMembers(previous.dialogueId, plan.segments);
    });
  }

  // Memberships are cleared before any is written: a segment may move from one dialogue to another.
  await repository.deleteDialogueMembers(membershipReplaced);
  await repository.deleteDialogues(unmatched);
  changes.deleted = unmatched.length;
  for (const write of writes) await write();
  return changes;
}

/** Closes open dialogues whose silence gap and grace have passed with no audio arriving to confirm them. */
export function closeQuietDialogues(db: CoreDatabase, deps: DialogueDeps): Promise<number> {
  const now = deps.clock.now();
  return createDialoguesRepository(db).closeDialoguesEndedBefore(now - deps.settings.silenceGapMs - deps.settings.closeGraceMs, now);
}

export function listDialogueRows(deps: { db: CoreDatabase }, filter: DialogueFilter): Promise<DialogueRow[]> {
  return createDialoguesRepository(deps.db).listDialogues(filter);
}

export async function getDialogueWithSegments(deps: { db: CoreDatabase }, dialogueId: string) {
  const dialogue = await createDialoguesRepository(deps.db).findDialogue(dialogueId);
  if (!dialogue) throw notFound("dialogues.not_found", `no dialogue ${dialogueId}`);
  return { dialogue, segments: await createDialoguesRepository(deps.db).findDialogueSegments(dialogueId) };
}

function shapeOf(plan: PlannedDialogue<SpeechSegmentRow>) {
  return { startTs: plan.startTs, endTs: plan.endTs, segmentCount: plan.segments.length, speechMs: plan.speechMs };
}

async function closingOf(
  db: CoreDatabase,
  deps: DialogueDeps,
  stream: Stream,
  plan: PlannedDialogue<SpeechSegmentRow>,
  now: number,
): Promise<{ status: DialogueStatus; closeReason: DialogueCloseReason | null }> {
  if (!plan.endsWithSilence) return { status: "closed", closeReason: "max_length" };
  const silenceEnd = plan.endTs + deps.settings.silenceGapMs;
  if (await audioCoversSpan(db, stream, plan.endTs, silenceEnd)) return { status: "closed", closeReason: "silence" };
  if (now >= silenceEnd + deps.settings.closeGraceMs) return { status: "closed", closeReason: "timeout" };
  return { status: "open", closeReason: null };
}

/** Whether analysed chunks cover [fromTs, toTs] without a hole: the silence after a dialogue is confirmed. */
async function audioCoversSpan(db: CoreDatabase, stream: Stream, fromTs: number, toTs: number): Promise<boolean> {
  let coveredUntil = fromTs;
  for (const chunk of await createVadRepository(db).findAnalysedChunksBetween(stream, fromTs, toTs)) {
    if (chunk.startTs > coveredUntil + chunkJoinToleranceMs) return false;
    coveredUntil = Math.max(coveredUntil, chunk.endTs);
    if (coveredUntil + chunkJoinToleranceMs >= toTs) return true;
  }
  return coveredUntil + chunkJoinToleranceMs >= toTs;
}

/**
 * Each planned dialogue keeps the identity of the existing one it shares most segments with or,
 * failing that (a re-run replaced the segments), the one it overlaps most in time.
 */
function matchPlannedToExisting(
  planned: ReadonlyArray<PlannedDialogue<SpeechSegmentRow>>,
  existing: readonly DialogueRow[],
  members: Map<string, number[]>,
): Map<PlannedDialogue<SpeechSegmentRow>, DialogueRow> {
  const ownerOfSegment = new Map<number, string>();
  for (const [dialogueId, segmentIds] of members) for (const segmentId of segmentIds) ownerOfSegment.set(segmentId, dialogueId);
  const candidates: Array<{ plan: PlannedDialogue<SpeechSegmentRow>; dialogue: DialogueRow; shared: number }> = [];
  for (const plan of planned) {
    const shared = new Map<string, number>();
    for (const segment of plan.segments) {
      const owner = ownerOfSegment.get(segment.id);
      if (owner) shared.set(owner, (shared.get(owner) ?? 0) + 1);
    }
    for (const dialogue of existing) {
      const count = shared.get(dialogue.dialogueId) ?? 0;
      if (count > 0) candidates.push({ plan, dialogue, shared: count });
    }
  }
  candidates.sort((a, b) => b.shared - a.shared || a.dialogue.startTs - b.dialogue.startTs);
  const matches = new Map<PlannedDialogue<SpeechSegmentRow>, DialogueRow>();
  const taken = new Set<string>();
  const take = (list: typeof candidates) => {
    for (const candidate of list) {
      if (matches.has(candidate.plan) || taken.has(candidate.dialogue.dialogueId)) continue;
      matches.set(candidate.plan, candidate.dialogue);
      taken.add(candidate.dialogue.dialogueId);
    }
  };
  take(candidates);
  const byTime: typeof candidates = [];
  for (const plan of planned) {
    if (matches.has(plan)) continue;
    for (const dialogue of existing) {
      const overlap = Math.min(plan.endTs, dialogue.endTs) - Math.max(plan.startTs, dialogue.startTs);
      if (!taken.has(dialogue.dialogueId) && overlap > 0) byTime.push({ plan, dialogue, shared: overlap });
    }
  }
  byTime.sort((a, b) => b.shared - a.shared || a.dialogue.startTs - b.dialogue.startTs);
  take(byTime);
  return matches;
}

function sameMembers(current: readonly number[], wanted: readonly number[]): boolean {
  if (current.length !== wanted.length) return false;
  const set = new Set(current);
  return wanted.every((id) => set.has(id));
}
