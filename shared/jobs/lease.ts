import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { isProcessAlive } from "../runtime/process.ts";
import type { Clock } from "../runtime/clock.ts";

/**
 * Leases: a row held by one process until its lease runs out, renewed by heartbeats while the
 * work runs. Every lease in the product names its holder the same way, `host/pid/random`, so any
 * process can tell a holder on its own host that no longer exists from one that is merely slow.
 */

export class LeaseLostError extends Error {
  constructor(what: string) {
    super(`the lease on ${what} was lost (expired or taken over); its work is dropped`);
    this.name = "LeaseLostError";
  }
}

/** A new lease owner for this process: `host/pid/random` (the random part tells two claims of one process apart). */
export function createLeaseOwner(): string {
  return `${hostname()}/${process.pid}/${randomBytes(6).toString("hex")}`;
}

/** The host and process id a lease owner names; null for an owner in another form. */
export function parseLeaseOwner(owner: string): { host: string; pid: number } | null {
  const [host, pid, random] = owner.split("/");
  if (!host || !pid || random === undefined || !/^\d+$/.test(pid)) return null;
  return { host, pid: Number(pid) };
}

/** True when the owner is this process (a claim it made before a restart of its loop, or its own current one). */
export function isOwnedByThisProcess(owner: string): boolean {
  const parsed = parseLeaseOwner(owner);
  return parsed !== null && parsed.host === hostname() && parsed.pid === process.pid;
}

/** True when the owner is another process of this host that no longer runs: its lease will never be renewed. */
export function isLeaseOwnerGone(owner: string): boolean {
  const parsed = parseLeaseOwner(owner);
  if (!parsed || parsed.host !== hostname() || parsed.pid === process.pid) return false;
  return !isProcessAlive(parsed.pid);
}

export interface LeaseKeeper {
  /** Aborts when a heartbeat finds the lease gone: the work must stop and report nothing. */
  readonly signal: AbortSignal;
  lost(): boolean;
  stop(): Promise<void>;
}

/**
 * Heartbeats a lease while its work runs: every third of the lease unless `intervalMs` says
 * otherwise. A heartbeat that throws (the database or the core restarting) is tried again at the
 * next beat, since the lease outlasts a miss; one that answers false means the lease is gone.
 */
export function keepLeaseAlive(options: { what: string; leaseMs: number; clock: Clock; heartbeat: () => Promise<boolean>; intervalMs?: number; onError?: (error: unknown) => void }): LeaseKeeper {
  const stopping = new AbortController();
  const lost = new AbortController();
  const intervalMs = options.intervalMs ?? Math.max(1000, Math.floor(options.leaseMs / 3));
  const beats = (async () => {
    while (!stopping.signal.aborted) {
      await options.clock.sleep(intervalMs, stopping.signal);
      if (stopping.signal.aborted) return;
      try {
        if (!(await options.heartbeat())) {
          lost.abort(new LeaseLostError(options.what));
          return;
        }
      } catch (error) {
        options.onError?.(error);
      }
    }
  })();
  return {
    signal: lost.signal,
    lost: () => lost.signal.aborted,
    async stop() {
      stopping.abort();
      await beats;
    },
  };
}
