/** One 30 ms frame at 16 kHz, the unit libfvad classifies. */
export const frameMs = 30;
export const frameSamples = 480;

export interface SpeechCollectorOptions {
  /** Sliding window the on/off decision looks at (py-webrtcvad's padding). */
  windowMs: number;
  /** Share of voiced (to start) or unvoiced (to end) frames in the window. */
  ratio: number;
  /** Gaps between segments at most this long are closed. */
  mergeGapMs: number;
  /** Added before every segment so the first syllable is not clipped. */
  preRollMs: number;
}

export const defaultSpeechCollectorOptions: SpeechCollectorOptions = { windowMs: 300, ratio: 0.9, mergeGapMs: 300, preRollMs: 300 };

export interface SpeechSpan {
  startMs: number;
  endMs: number;
}

export interface SpeechCollector {
  /** Feeds the next frame's verdict. */
  push(voiced: boolean): void;
  /** Ends the audio and returns its speech, merged and with pre-roll. */
  finish(): SpeechSpan[];
}

/**
 * The collector of py-webrtcvad's example: a ring of recent frames; speech starts at the ring's
 * first frame once ≥ ratio of it is voiced, and ends at the current frame once ≥ ratio is unvoiced.
 */
export function createSpeechCollector(options: SpeechCollectorOptions = defaultSpeechCollectorOptions): SpeechCollector {
  const windowFrames = Math.max(1, Math.round(options.windowMs / frameMs));
  const threshold = Math.ceil(options.ratio * windowFrames);
  const ring: boolean[] = [];
  let ringStart = 0;
  let frameIndex = 0;
  let triggered = false;
  let segmentStart = 0;
  const raw: Array<[number, number]> = [];

  return {
    push(voiced) {
      ring.push(voiced);
      if (ring.length > windowFrames) {
        ring.shift();
        ringStart++;
      }
      frameIndex++;
      const voicedCount = ring.reduce((count, frame) => count + (frame ? 1 : 0), 0);
      if (!triggered && voicedCount >= threshold) {
        triggered = true;
        segmentStart = ringStart;
        ring.length = 0;
        ringStart = frameIndex;
      } else if (triggered && ring.length - voicedCount >= threshold) {
        triggered = false;
        raw.push([segmentStart, frameIndex]);
        ring.length = 0;
        ringStart = frameIndex;
      }
    },
    finish() {
      if (triggered) raw.push([segmentStart, frameIndex]);
      triggered = false;
      const audioMs = frameIndex * frameMs;
      const spans: SpeechSpan[] = [];
      for (const [startFrame, endFrame] of raw) {
        const span = { startMs: Math.max(0, startFrame * frameMs - options.preRollMs), endMs: Math.min(audioMs, endFrame * frameMs) };
        const previous = spans.at(-1);
        if (previous && span.startMs - previous.endMs <= options.mergeGapMs) previous.endMs = Math.max(previous.endMs, span.endMs);
        else spans.push(span);
      }
      return spans;
    },
  };
}
