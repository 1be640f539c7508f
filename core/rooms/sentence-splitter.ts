/**
 * Cuts text into sentences as it arrives (an LLM's stream, a typed message): a sentence ends at
 * . ! ? … (with closing quotes or brackets) followed by white space, or at a blank line. What
 * follows the last end stays buffered until more text or `finish()`.
 */
export interface SentenceSplitter {
  /** Adds text; returns the sentences it completed. */
  push(text: string): string[];
  /** The rest, as the last sentence (nothing when only white space is left). */
  finish(): string[];
}

/** Sentences shorter than this are joined to the next one: a lone "Hi." is too short to schedule on its own. */
const minSentenceLength = 12;
/** A sentence this long is cut at its last comma or space before the limit. */
const maxSentenceLength = 400;

const sentenceEnd = /[.!?…]+["'»”)\]]*\s+|\n\s*\n/g;

export function createSentenceSplitter(): SentenceSplitter {
  let buffer = "";
  let carried = "";

  const emit = (sentence: string, out: string[]) => {
    const text = `${carried}${carried ? " " : ""}${sentence.replace(/\s+/g, " ").trim()}`.trim();
    if (text === "") return;
    if (text.length < minSentenceLength) {
      carried = text;
      return;
    }
    carried = "";
    out.push(...cutLong(text));
  };

  return {
    push(text) {
      buffer += text;
      const out: string[] = [];
      let consumed = 0;
      sentenceEnd.lastIndex = 0;
      for (let match = sentenceEnd.exec(buffer); match; match = sentenceEnd.exec(buffer)) {
        emit(buffer.slice(consumed, match.index + match[0].length), out);
        consumed = match.index + match[0].length;
      }
      buffer = buffer.slice(consumed);
      if (buffer.length > maxSentenceLength * 2) {
        const head = cutLong(buffer.replace(/\s+/g, " "));
        buffer = head.pop() ?? "";
        for (const sentence of head) emit(sentence, out);
      }
      return out;
    },
    finish() {
      const out: string[] = [];
      emit(buffer, out);
      buffer = "";
      if (carried) out.push(carried);
      carried = "";
      return out;
    },
  };
}

/** All sentences of a finished text. */
export function splitSentences(text: string): string[] {
  const splitter = createSentenceSplitter();
  return [...splitter.push(text), ...splitter.finish()];
}

function cutLong(text: string): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > maxSentenceLength) {
    const window = rest.slice(0, maxSentenceLength);
    const cut = Math.max(window.lastIndexOf(", "), window.lastIndexOf(" "));
    const at = cut > maxSentenceLength / 2 ? cut + 1 : maxSentenceLength;
    pieces.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}
