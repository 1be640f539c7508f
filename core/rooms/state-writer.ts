import type { Logger } from "../../shared/log/logger.ts";

/**
 * The rooms' writes, in order, behind the playback: a room plays from memory, and its state reaches
 * the database when the database takes it. A refused write stays at the head of the queue and is
 * tried again (on the next write, or by the rooms' loop) until it passes; nothing behind it jumps ahead.
 */
export interface StateWriter {
  write(label: string, operation: () => Promise<void>): void;
  /** Tries the queue now; resolves once it is empty, or throws the head's error. */
  flush(): Promise<void>;
  pending(): number;
  /** Consecutive refusals of the head write (0 while the database takes them). */
  failures(): number;
}

export function createStateWriter(logger: Logger): StateWriter {
  const queue: Array<{ label: string; operation: () => Promise<void> }> = [];
  let draining: Promise<void> | null = null;
  let failures = 0;

  const drain = async () => {
    while (queue.length > 0) {
      const head = queue[0]!;
      try {
        await head.operation();
      } catch (error) {
        failures++;
        if (failures === 1) logger.error("the database refused a listening room's write; the rooms go on from memory and write it later", { write: head.label, queued: queue.length, error });
        throw error;
      }
      queue.shift();
      if (failures > 0) logger.info("the database takes the listening rooms' writes again", { failures });
      failures = 0;
    }
  };

  const flush = () => {
    draining ??= drain().finally(() => {
      draining = null;
    });
    return draining;
  };

  return {
    write(label, operation) {
      queue.push({ label, operation });
      if (failures === 0) flush().catch(() => {});
    },
    flush,
    pending: () => queue.length,
    failures: () => failures,
  };
}
