/**
 * Long CPU work on a serving thread (checking a 300,000-lead import) calls `pause()` often; once
 * the current slice has run `sliceMs`, it waits one event-loop turn so that requests already
 * received (the dialer's lookups) are answered first. The work takes a little longer; nobody waits on it.
 */
export function eventLoopTurns(sliceMs = 2): { pause(): Promise<void> } {
  let sliceStartedAt = performance.now();
  return {
    async pause() {
      if (performance.now() - sliceStartedAt < sliceMs) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStartedAt = performance.now();
    },
  };
}
