/**
 * Serialises the steps that move chunk files and change their rows (registering, marking
 * uploaded, janitor passes), so no step sees a file whose row is half-written. Network I/O and
 * ffmpeg runs happen outside it.
 */
export interface SpoolLock {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function createSpoolLock(): SpoolLock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(work) {
      const result = tail.then(work, work);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
