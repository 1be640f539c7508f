import { createLeaseOwner, isLeaseOwnerGone, isOwnedByThisProcess } from "../../shared/jobs/lease.ts";
import type { Clock } from "../../shared/runtime/clock.ts";
import { serializeCallResult, type VicidialLogRow } from "./call-result-payload.ts";
import type { DidOptimizerClient } from "./did-optimizer.client.ts";
import type { SyncRepository } from "./sync.repository.ts";
import type { VicidialLogReader } from "./vicidial-log.repository.ts";

/** A query slower than this halves the next page; MyISAM readers block the dialer's writes. */
export const queryTargetMs = 20;
const minimumPageSize = 50;
/** A claimed batch stays with its sender this long; longer than any request may take. */
const leaseMs = 120_000;

export interface SyncTuning {
  recentMinutes: number;
  lookbackHours: number;
  fullScanMinutes: number;
  batchSize: number;
  maxPageSize: number;
}

/** Hooks for metrics; every call is optional. */
export interface SyncObserver {
  query?(durationMs: number): void;
  rowsRead?(count: number): void;
  rowsQueued?(count: number): void;
  delivered?(outcome: string, count: number): void;
}

export interface SyncDeps {
  repository: SyncRepository;
  clock: Clock;
  tuning: SyncTuning;
  pageSizer: PageSizer;
  observer?: SyncObserver;
}

export interface ScanSummary {
  kind: "recent" | "full" | "since";
  from: string;
  /** Rows read from vicidial_log. */
  rows: number;
  new: number;
  changed: number;
  unchanged: number;
  /** Rows put in the outbox (new + changed, or every row when re-sending a period). */
  queued: number;
  pages: number;
  slowestQueryMs: number;
  durationMs: number;
}

export interface DeliverySummary {
  sent: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  batches: number;
  durationMs: number;
}

/**
 * The fields of the `call sync scan` and `call results sent` log lines: one set for `sync --once`
 * and the loop inside `serve`, and the set the README names.
 */
export const scanLogFieldNames = ["kind", "from", "found", "new", "changed", "unchanged", "queued", "queries", "slowestQueryMs", "durationMs", "outboxPending"] as const;
export const deliveryLogFieldNames = ["sent", "created", "updated", "unchanged", "rejected", "batches", "durationMs"] as const;

export function scanLogFields(scan: ScanSummary, outboxPending: number): Record<(typeof scanLogFieldNames)[number], unknown> {
  return {
    kind: scan.kind,
    from: scan.from,
    found: scan.rows,
    new: scan.new,
    changed: scan.changed,
    unchanged: scan.unchanged,
    queued: scan.queued,
    queries: scan.pages,
    slowestQueryMs: Math.round(scan.slowestQueryMs * 10) / 10,
    durationMs: Math.round(scan.durationMs),
    outboxPending,
  };
}

export function deliveryLogFields(delivery: DeliverySummary): Record<(typeof deliveryLogFieldNames)[number], unknown> {
  const { sent, created, updated, unchanged, rejected, batches } = delivery;
  return { sent, created, updated, unchanged, rejected, batches, durationMs: Math.round(delivery.durationMs) };
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly summary: DeliverySummary,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

/** The sync's dependencies from the edge's settings (`call_sync_*`). */
export function syncDepsFrom(
  config: { callSyncRecentMinutes: number; callSyncLookbackHours: number; callSyncFullScanMinutes: number; callSyncBatchSize: number; callSyncPageSize: number },
  parts: { repository: SyncRepository; clock: Clock; observer?: SyncObserver },
): SyncDeps {
  return {
    ...parts,
    tuning: {
      recentMinutes: config.callSyncRecentMinutes,
      lookbackHours: config.callSyncLookbackHours,
      fullScanMinutes: config.callSyncFullScanMinutes,
      batchSize: config.callSyncBatchSize,
      maxPageSize: config.callSyncPageSize,
    },
    pageSizer: new PageSizer(config.callSyncPageSize),
  };
}

/**
 * Pages shrink while queries run slow and grow, up to the configured size, while they are fast. The
 * first page is small: a cold key cache makes the first query the slowest.
 */
export class PageSizer {
  #size: number;
  constructor(readonly maxSize: number) {
    this.#size = Math.min(maxSize, 500);
  }
  get size(): number {
    return this.#size;
  }
  observe(durationMs: number): void {
    if (durationMs > queryTargetMs) this.#size = Math.max(minimumPageSize, Math.floor(this.#size / 2));
    else if (durationMs < queryTargetMs / 4) this.#size = Math.min(this.maxSize, this.#size * 2);
  }
}

/** Where the scan keeps its progress in the sync's state table. */
export const stateKeys = {
  lastScanDbNow: "scan.last_db_now",
  lastFullScanDbNow: "scan.last_full_db_now",
  lastFullScanAt: "scan.last_full_at",
} as const;

/**
 * The scan a sync run makes: the calls since shortly before the previous read (where hang-ups and
 * dispositions land), and every `fullScanMinutes` the whole lookback, for dispositions set hours
 * later. Both windows reach back from the previous read too, so a sync that was stopped for a day
 * picks up the whole day. Windows are in the database's own wall time, as call_date is.
 */
export async function runScheduledScan(deps: SyncDeps, reader: VicidialLogReader, signal?: AbortSignal): Promise<ScanSummary> {
  const state = await deps.repository.readState();
  const databaseNow = await reader.databaseNow();
  const now = deps.clock.now();
  const lastFullAt = Number(state.get(stateKeys.lastFullScanAt));
  const full = !(lastFullAt > 0) || now - lastFullAt >= deps.tuning.fullScanMinutes * 60_000;
  const reachSeconds = full ? deps.tuning.lookbackHours * 3600 : deps.tuning.recentMinutes * 60;
  const previous = state.get(full ? stateKeys.lastFullScanDbNow : stateKeys.lastScanDbNow);
  let from = shiftWallTime(databaseNow, -reachSeconds);
  if (previous && shiftWallTime(previous, -reachSeconds) < from) from = shiftWallTime(previous, -reachSeconds);

  const summary = await scanVicidialLog(deps, reader, from, { includeUndated: full, signal });
  const progress: Record<string, string> = { [stateKeys.lastScanDbNow]: databaseNow };
  if (full) {
    progress[stateKeys.lastFullScanDbNow] = databaseNow;
    progress[stateKeys.lastFullScanAt] = String(now);
    await deps.repository.forgetSeenBefore(shiftWallTime(from, -86_400));
  }
  await deps.repository.writeState(progress, deps.clock.now());
  return { ...summary, kind: full ? "full" : "recent" };
}

/**
 * Reads vicidial_log from `from` onward in short pages on the call_date index and queues every row
 * that is new or differs from the version queued before (all rows with `force`). A page ends on a
 * second boundary: the rows of its last second are read again by the next page, so calls that
 * share a second are never split or skipped, however many there are.
 */
export async function scanVicidialLog(
  deps: SyncDeps,
  reader: VicidialLogReader,
  from: string,
  options: { force?: boolean; includeUndated?: boolean; signal?: AbortSignal } = {},
): Promise<ScanSummary> {
  const started = performance.now();
  const summary: ScanSummary = { kind: "since", from, rows: 0, new: 0, changed: 0, unchanged: 0, queued: 0, pages: 0, slowestQueryMs: 0, durationMs: 0 };
  const timed = async (read: (limit: number) => Promise<{ rows: VicidialLogRow[]; durationMs: number }>) => {
    const limit = deps.pageSizer.size;
    const page = await read(limit);
    deps.pageSizer.observe(page.durationMs);
    deps.observer?.query?.(page.durationMs);
    summary.pages++;
    summary.slowestQueryMs = Math.max(summary.slowestQueryMs, page.durationMs);
    return { rows: page.rows, full: page.rows.length >= limit };
  };
  const queue = async (rows: VicidialLogRow[]) => {
    if (rows.length === 0) return;
    summary.rows += rows.length;
    deps.observer?.rowsRead?.(rows.length);
    const serialized = rows.map(serializeCallResult);
    const known = await deps.repository.findFingerprints(serialized.map((row) => row.uniqueid));
    const toQueue = serialized.filter((row) => {
      const before = known.get(row.uniqueid);
      if (before === undefined) summary.new++;
      else if (before !== row.fingerprint) summary.changed++;
      else {
        summary.unchanged++;
        return options.force === true;
      }
      return true;
    });
    await deps.repository.enqueue(toQueue, deps.clock.now());
    summary.queued += toQueue.length;
    deps.observer?.rowsQueued?.(toQueue.length);
  };

  let position = from;
  for (;;) {
    if (options.signal?.aborted) throw new Error("scan stopped");
    const page = await timed((limit) => reader.readFrom(position, limit));
    if (!page.full) {
      await queue(page.rows);
      break;
    }
    const lastSecond = page.rows.at(-1)!.call_date!;
    if (page.rows[0]!.call_date === lastSecond) {
      let after = "";
      for (;;) {
        const second = await timed((limit) => reader.readSecond(lastSecond, after, limit));
        await queue(second.rows);
        if (!second.full) break;
        after = second.rows.at(-1)!.uniqueid;
      }
      position = shiftWallTime(lastSecond, 1);
    } else {
      await queue(page.rows.slice(0, page.rows.findIndex((row) => row.call_date === lastSecond)));
      position = lastSecond;
    }
  }
  if (options.includeUndated) {
    let after = "";
    for (;;) {
      const page = await timed((limit) => reader.readUndated(after, limit));
      await queue(page.rows);
      if (!page.full) break;
      after = page.rows.at(-1)!.uniqueid;
    }
  }
  summary.durationMs = performance.now() - started;
  return summary;
}

/**
 * Sends the outbox to the core in batches until it is empty (or `maxBatches` went out). Delivered
 * rows leave the outbox, rows the core refuses go dead with its reason, and a batch refused as a
 * whole is split until the bad row stands alone. When the core cannot take anything (down, key
 * refused), the rows stay and DeliveryError tells the caller to retry later.
 */
export async function deliverOutbox(deps: SyncDeps, client: DidOptimizerClient, options: { maxBatches?: number; signal?: AbortSignal } = {}): Promise<DeliverySummary> {
  const started = performance.now();
  const summary: DeliverySummary = { sent: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, batches: 0, durationMs: 0 };
  let size = deps.tuning.batchSize;
  const finish = () => ({ ...summary, durationMs: performance.now() - started });
  while (summary.batches < (options.maxBatches ?? Number.POSITIVE_INFINITY) && !options.signal?.aborted) {
    const leaseToken = createLeaseOwner();
    const claimed = await deps.repository.claimBatch(size, leaseToken, deps.clock.now(), leaseMs);
    if (claimed.length === 0) break;
    const result = await client.sendBatch(
      claimed.map((row) => row.payload),
      options.signal,
    );
    if (result.kind === "delivered") {
      const delivered: typeof claimed = [];
      const dead: Array<(typeof claimed)[number] & { error: string }> = [];
      for (const item of result.response.results) {
        const row = claimed[item.index]!;
        if (item.outcome === "rejected") dead.push({ ...row, error: item.error?.message ?? "rejected by the core" });
        else delivered.push(row);
        summary[item.outcome === "rejected" ? "rejected" : item.outcome]++;
        deps.observer?.delivered?.(item.outcome, 1);
      }
      await deps.repository.deleteDelivered(delivered);
      await deps.repository.markDead(dead);
      await deps.repository.releaseLease(leaseToken, claimed.map((row) => row.uniqueid));
      summary.sent += claimed.length;
      summary.batches++;
      continue;
    }
    await deps.repository.releaseLease(leaseToken, claimed.map((row) => row.uniqueid));
    if (result.kind === "refused") {
      if (claimed.length > 1) {
        size = Math.ceil(claimed.length / 2);
        continue;
      }
      await deps.repository.markDead([{ ...claimed[0]!, error: result.message }]);
      summary.rejected++;
      deps.observer?.delivered?.("rejected", 1);
      continue;
    }
    throw new DeliveryError(result.message, finish());
  }
  return finish();
}

/** Frees the batches a sender that no longer runs (killed, crashed) had claimed, and this process's own from before. */
export async function releaseOrphanedLeases(repository: SyncRepository): Promise<number> {
  let released = 0;
  for (const owner of await repository.leaseOwners()) {
    if (isLeaseOwnerGone(owner) || isOwnedByThisProcess(owner)) released += await repository.releaseLeasesOf(owner);
  }
  return released;
}

/** Moves a "YYYY-MM-DD HH:MM:SS" wall time by whole seconds, calendar-correct, without time zones. */
export function shiftWallTime(wall: string, seconds: number): string {
  const millis = Date.parse(`${wall.replace(" ", "T")}Z`);
  if (!Number.isFinite(millis)) throw new Error(`not a wall time: ${wall}`);
  return new Date(millis + seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}
