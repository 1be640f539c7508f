import type { Logger } from "../log/logger.ts";
import type { Clock } from "../runtime/clock.ts";

export interface RefusedCredentialsPolicy {
  /** Refused credentials an address may present within `windowMs` before it is throttled. */
  limit: number;
  windowMs: number;
}

export const defaultRefusedCredentialsPolicy: RefusedCredentialsPolicy = { limit: 20, windowMs: 60_000 };

interface Streak {
  startedAt: number;
  refusals: number;
  /** Refusals within the current window, and when it began. */
  windowStart: number;
  windowRefusals: number;
  throttledLogged: boolean;
}

/**
 * Counts refused credentials (401 answers) per client address: the first refusal of a streak is
 * logged, then nothing until the address is throttled (logged once) or comes back with a valid
 * credential (logged with the streak's count). An address past `limit` refusals in a window is
 * answered 429 with Retry-After until the window ends.
 */
export class RefusedCredentials {
  readonly #streaks = new Map<string, Streak>();

  constructor(
    private readonly deps: { logger: Logger; clock: Clock },
    private readonly policy: RefusedCredentialsPolicy = defaultRefusedCredentialsPolicy,
  ) {}

  /** Milliseconds the address must wait before presenting credentials again (0: go ahead). */
  throttledFor(address: string): number {
    const streak = this.#streaks.get(address);
    if (!streak || streak.windowRefusals < this.policy.limit) return 0;
    return Math.max(0, streak.windowStart + this.policy.windowMs - this.deps.clock.now());
  }

  recordRefusal(address: string, context: { path: string; code: string }): void {
    const now = this.deps.clock.now();
    let streak = this.#streaks.get(address);
    if (!streak) {
      this.#prune(now);
      streak = { startedAt: now, refusals: 0, windowStart: now, windowRefusals: 0, throttledLogged: false };
      this.#streaks.set(address, streak);
      this.deps.logger.warn("credentials refused; further refusals from this address are counted, not logged", { remoteAddress: address, ...context });
    }
    if (now - streak.windowStart >= this.policy.windowMs) {
      streak.windowStart = now;
      streak.windowRefusals = 0;
      streak.throttledLogged = false;
    }
    streak.refusals++;
    streak.windowRefusals++;
    if (streak.windowRefusals >= this.policy.limit && !streak.throttledLogged) {
      streak.throttledLogged = true;
      this.deps.logger.warn("too many refused credentials; address throttled", {
        remoteAddress: address,
        refusals: streak.refusals,
        retryAfterSeconds: Math.ceil(this.throttledFor(address) / 1000),
      });
    }
  }

  recordAcceptance(address: string): void {
    const streak = this.#streaks.get(address);
    if (!streak) return;
    this.#streaks.delete(address);
    this.deps.logger.info("credentials accepted again after refusals", { remoteAddress: address, refusals: streak.refusals, sinceMs: this.deps.clock.now() - streak.startedAt });
  }

  /** Streaks quiet for a whole window are over: forgotten (with their count) so the map stays small. */
  #prune(now: number): void {
    if (this.#streaks.size < 1024) return;
    for (const [address, streak] of this.#streaks) {
      if (now - streak.windowStart >= this.policy.windowMs) this.#streaks.delete(address);
    }
  }
}
