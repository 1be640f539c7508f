import type { Clock } from "../../shared/runtime/clock.ts";
import type { Logger } from "../../shared/log/logger.ts";
import { humanAnsweredOutcomes, pendingOutcome } from "../calls/dispositions.ts";
import type { AreaCodeLocation, Did, DidsRepository } from "./dids.repository.ts";

/**
 * An in-memory picture of a tenant's DID pools, so that choosing a caller ID costs no query: active
 * DIDs by campaign, rolling answer rates and today's usage. It is rebuilt in the background when
 * it grows older than the refresh interval (requests keep using the old one meanwhile), at once
 * when the tenant's day ends or its DIDs change, and today's usage counts the selections made here
 * since the rebuild read the database.
 */
export interface TenantPool {
  tenantId: string;
  builtAt: number;
  dayStartMs: number;
  dayEndMs: number;
  /** Active DIDs dedicated to a campaign. */
  byCampaign: ReadonlyMap<string, readonly Did[]>;
  /** Active DIDs without a campaign: the pool of campaigns that have none of their own. */
  shared: readonly Did[];
  results: ReadonlyMap<string, { attempts: number; answered: number }>;
  /** Selections per DID today; grows as selections are made. */
  usage: Map<string, number>;
  /** The tenant's answer rate over the window, toward which sparse DIDs are pulled. */
  priorRate: number;
}

/** A selection counted against today's usage before its row is written; confirm or cancel it. */
export interface UsageReservation {
  confirm(selectionId: number): void;
  cancel(): void;
}

export interface DidPools {
  poolFor(tenant: { id: string; timezone: string }): Promise<TenantPool>;
  /** Counts a selection at once, so that concurrent requests cannot overshoot a daily limit. */
  reserve(tenantId: string, didId: string, selectedAt: number): UsageReservation;
  invalidate(tenantId: string): void;
  areaCodes(): Promise<ReadonlyMap<string, AreaCodeLocation>>;
  invalidateAreaCodes(): void;
}

export interface DidPoolsOptions {
  repository: DidsRepository;
  clock: Clock;
  logger: Logger;
  refreshMs: number;
  /** Days of call results behind each DID's answer rate. */
  statsWindowDays: number;
}

const defaultPriorRate = 0.3;

interface Entry {
  pool: TenantPool | null;
  building: Promise<TenantPool> | null;
  /** Selections made here that a rebuild may not have read yet (id Infinity until written). */
  recent: Array<{ didId: string; selectionId: number; selectedAt: number }>;
  stale: boolean;
  /** Bumped by every invalidation; a rebuild that started before one leaves the pool stale. */
  version: number;
}

export function createDidPools(options: DidPoolsOptions): DidPools {
  const entries = new Map<string, Entry>();
  let areaCodes: { map: Map<string, AreaCodeLocation>; loadedAt: number } | null = null;

  const build = (tenant: { id: string; timezone: string }, entry: Entry): Promise<TenantPool> => {
    entry.building ??= (async () => {
      const version = entry.version;
      const now = options.clock.now();
      const dayStartMs = startOfDayMs(now, tenant.timezone);
      try {
        const data = await options.repository.loadPoolData(tenant.id, {
          resultsSinceEpochSeconds: Math.floor(now / 1000) - options.statsWindowDays * 86_400,
          dayStartMs,
          answeredOutcomes: humanAnsweredOutcomes,
          pendingOutcome,
        });
        const usage = new Map(data.usage.map((row) => [row.didId, row.count]));
        entry.recent = entry.recent.filter((selection) => selection.selectionId > data.lastSelectionId);
        for (const selection of entry.recent) {
          if (selection.selectedAt >= dayStartMs) usage.set(selection.didId, (usage.get(selection.didId) ?? 0) + 1);
        }
        const byCampaign = new Map<string, Did[]>();
        const shared: Did[] = [];
        for (const did of data.dids) {
          if (did.campaignId === null) shared.push(did);
          else byCampaign.set(did.campaignId, [...(byCampaign.get(did.campaignId) ?? []), did]);
        }
        const totals = data.results.reduce((sum, row) => ({ attempts: sum.attempts + row.attempts, answered: sum.answered + row.answered }), { attempts: 0, answered: 0 });
        const pool: TenantPool = {
          tenantId: tenant.id,
          builtAt: now,
          dayStartMs,
          dayEndMs: startOfDayMs(dayStartMs + 26 * 3_600_000, tenant.timezone),
          byCampaign,
          shared,
          results: new Map(data.results.map((row) => [row.didId, { attempts: row.attempts, answered: row.answered }])),
          usage,
          priorRate: totals.attempts > 0 ? totals.answered / totals.attempts : defaultPriorRate,
        };
        entry.pool = pool;
        if (entry.version === version) entry.stale = false;
        return pool;
      } finally {
        entry.building = null;
      }
    })();
    return entry.building;
  };

  return {
    async poolFor(tenant) {
      let entry = entries.get(tenant.id);
      if (!entry) {
        entry = { pool: null, building: null, recent: [], stale: true, version: 0 };
        entries.set(tenant.id, entry);
      }
      const now = options.clock.now();
      const pool = entry.pool;
      if (!pool || entry.stale || now >= pool.dayEndMs) {
        const built = await build(tenant, entry);
        // DIDs changed while that rebuild was reading: read again.
        return entry.stale ? build(tenant, entry) : built;
      }
      if (now - pool.builtAt >= options.refreshMs && !entry.building) {
        build(tenant, entry).catch((error) => options.logger.warn("DID pool refresh failed; serving the previous one", { tenantId: tenant.id, error }));
      }
      return pool;
    },

    reserve(tenantId, didId, selectedAt) {
      const entry = entries.get(tenantId);
      const record = { didId, selectionId: Number.POSITIVE_INFINITY, selectedAt };
      const adjust = (delta: number) => {
        const pool = entry?.pool;
        if (pool && selectedAt >= pool.dayStartMs) pool.usage.set(didId, Math.max(0, (pool.usage.get(didId) ?? 0) + delta));
      };
      entry?.recent.push(record);
      adjust(1);
      return {
        confirm(selectionId) {
          record.selectionId = selectionId;
        },
        cancel() {
          if (entry) entry.recent = entry.recent.filter((candidate) => candidate !== record);
          adjust(-1);
        },
      };
    },

    invalidate(tenantId) {
      const entry = entries.get(tenantId);
      if (entry) {
        entry.stale = true;
        entry.version++;
      }
    },

    async areaCodes() {
      const now = options.clock.now();
      if (!areaCodes || now - areaCodes.loadedAt >= options.refreshMs) {
        const rows = await options.repository.loadAreaCodes();
        areaCodes = { map: new Map(rows.map((row) => [row.areaCode, row])), loadedAt: now };
      }
      return areaCodes.map;
    },

    invalidateAreaCodes() {
      areaCodes = null;
    },
  };
}

/** Midnight of `now`'s day in `timezone`, as epoch milliseconds. */
export function startOfDayMs(now: number, timezone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(now));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((candidate) => candidate.type === type)!.value);
  const wholeSecond = now - (((now % 1000) + 1000) % 1000);
  const offsetMs = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second")) - wholeSecond;
  return Date.UTC(part("year"), part("month") - 1, part("day")) - offsetMs;
}
