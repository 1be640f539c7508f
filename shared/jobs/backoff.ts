export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialMs: number;
  /** The delay never grows past this. */
  maxMs: number;
  /** Share of the delay that is randomised (0 = none, 0.5 = the delay lands in [50 %, 100 %]). */
  jitter?: number;
  /** Jitter never takes a delay below this (the recorder's retry_min_s). */
  minMs?: number;
}

/**
 * Capped exponential backoff with jitter: initial · 2^(attempt-1), capped, then reduced by a random
 * share so that many clients failing together do not retry together.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 52));
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const jitter = policy.jitter ?? 0.5;
  return Math.max(policy.minMs ?? 0, Math.round(ceiling * (1 - jitter * random())));
}
